#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/plan_state.hpp"

#include <algorithm>
#include <new>
#include <string>

#include "core/audit_error.hpp"

namespace numaudit::core::audit {

namespace {
constexpr std::size_t kMaxListed = 20;  // items named in one detail text
}  // namespace

PlanState::PlanState(Inputs& inputs, Plan& plan, const std::function<void()>& check_interrupts)
    : in(inputs),
      out(plan),
      ticker(check_interrupts),
      flat(inputs.dial_plan == DialPlan::Flat),
      focus(inputs.focus_only),
      n_numbers(inputs.numbers.size()),
      available(inputs.strings.intern(kAvailable)),
      used(inputs.strings.intern(kUsed)),
      used_utility(inputs.strings.intern(kUsedUtility)),
      reserved(inputs.strings.intern(kReserved)),
      cooling(inputs.strings.intern(kCooling)),
      token_text(inputs.mr),
      usage_by_mask(inputs.mr),
      tokens(inputs.mr),
      usage_buf(inputs.mr),
      uses_by_number(inputs.mr),
      entries_by_number(inputs.mr),
      conflicts(inputs.mr, n_numbers, flat),
      on_duplicate(inputs.mr),
      entry_dup(inputs.mr),
      unchanged(inputs.mr),
      focus_numbers(inputs.mr) {}

ConflictSet::ConflictSet(std::pmr::memory_resource* mr, std::uint32_t n_numbers, bool flat)
    : marked_(n_numbers, false, mr), keys_(mr), flat_(flat) {}

void ConflictSet::mark(std::uint32_t group, std::uint32_t number) {
    if (sealed_)
        throw AuditError(sqlstate::kInternalError,
                         "numaudit: a conflict was marked after the conflict set was sealed");
    marked_[number] = true;
    keys_.push_back(pair_key(group, number));
}

void ConflictSet::seal() {
    if (sealed_) return;
    if (!flat_) std::sort(keys_.begin(), keys_.end());  // flat: marked_ answers alone
    sealed_ = true;
}

void ConflictSet::not_sealed() {
    throw AuditError(sqlstate::kInternalError,
                     "numaudit: the conflict set was queried before it was sealed");
}

void join_list(std::pmr::vector<std::string_view>& items, std::pmr::string& to) {
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i) {
        if (i) to.append(", ");
        to.append(items[i]);
    }
    if (items.size() > kMaxListed) {
        to.append(" and ");
        to.append(std::to_string(items.size() - kMaxListed));
        to.append(" more");
    }
}

}  // namespace numaudit::core::audit
