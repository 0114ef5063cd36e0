#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/inputs.hpp"

#include <string>

#include "core/audit_error.hpp"

namespace numaudit::core::audit {

Inputs::Inputs(std::pmr::memory_resource* mr_, DialPlan plan, Scope scope_, Id customer_id,
               std::string_view customer_path, TextClip clip_)
    : mr(mr_),
      clip(clip_),
      dial_plan(plan),
      scope(scope_),
      arena(64 * 1024, mr_),
      strings(mr_, &arena),
      numbers(mr_, &arena),
      objects(mr_, &arena),
      nodes(mr_),
      node_slots(mr_),
      kinds(mr_),
      kind_ids(mr_),
      usage_digests(mr_),
      uses(mr_),
      entries(mr_),
      buffer(mr_),
      read_buffer(mr_) {
    // SPEC §3: an slc customer's sites own their numbers and are audited one
    // by one; the backend refuses scope customer before anything is read.
    if (plan == DialPlan::Slc && scope_ == Scope::Customer)
        throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                         "an slc customer cannot be audited with scope customer", {},
                         "Use scope 'site'.");
    nodes.push_back(Node{customer_id, kNone, strings.intern(customer_path), false, false});
    node_slots.emplace(customer_id, 0);
}

std::uint32_t Inputs::node_slot(Id id) const {
    auto it = node_slots.find(id);
    if (it == node_slots.end())
        throw AuditError(sqlstate::kInternalError,
                         "numaudit: node " + std::to_string(id) + " is not part of the audit");
    return it->second;
}

std::uint32_t Inputs::reported(std::uint32_t string_id) {
    std::string_view text = strings.text(string_id);
    return clip.fits(text, kMaxReportedText) ? string_id : reported(text);
}

std::uint32_t Inputs::reported(std::string_view text) {
    if (clip.fits(text, kMaxReportedText)) return strings.intern(text);
    std::pmr::string cut(mr);
    clip.clip(text, kMaxReportedText, cut);
    return strings.intern(cut);
}

std::string_view Inputs::describe_use(const Use& use) {
    buffer.assign(strings.text(reported(kinds[use.kind].kind)));
    buffer.push_back(' ');
    clip.append(objects.text(use.object), kMaxReportedText, buffer);
    if (use.line >= 0) {
        buffer.append(" line ");
        buffer.append(std::to_string(use.line));
    }
    return buffer;
}

}  // namespace numaudit::core::audit
