// Report (SPEC §3): the wildcard and invalid patterns of the audited nodes,
// then the report itself — unchanged entries by node, the result rows in
// (hierarchy, number, action, detail) order, the writes pointed at them.
#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/steps.hpp"

#include <algorithm>

namespace numaudit::core::audit {

namespace {

// The audited nodes' uses whose pattern is no single number (in focus mode,
// Focus uses only), by (owner, pattern, reading): one row per run of equal keys.
std::pmr::vector<std::uint32_t> pattern_uses(const PlanState& st) {
    const auto& uses = st.in.uses;
    std::pmr::vector<std::uint32_t> wild(st.in.mr);
    for (std::uint32_t i = 0; i < uses.size(); ++i)
        if (uses[i].number == kNone && st.audited(uses[i].owner) && st.reports_pattern_of(uses[i]))
            wild.push_back(i);
    std::sort(wild.begin(), wild.end(), [&](auto a, auto b) {
        const Use &x = uses[a], &y = uses[b];
        if (x.owner != y.owner) return x.owner < y.owner;
        if (x.pattern != y.pattern) return x.pattern < y.pattern;
        return x.reading < y.reading;
    });
    return wild;
}

bool same_pattern_row(const Use& a, const Use& b) {
    return a.owner == b.owner && a.pattern == b.pattern && a.reading == b.reading;
}

}  // namespace

void report_patterns(PlanState& st) {
    Inputs& in = st.in;
    const std::pmr::vector<std::uint32_t> wild = pattern_uses(st);
    std::pmr::vector<std::string_view> items(in.mr);
    std::pmr::string detail(in.mr), item(in.mr);
    for (std::size_t i = 0; i < wild.size();) {
        const Use& first = in.uses[wild[i]];
        items.clear();
        std::size_t j = i;
        for (; j < wild.size() && same_pattern_row(in.uses[wild[j]], first); ++j) {
            const Use& u = in.uses[wild[j]];
            item.assign(in.describe_use(u));
            item.append(" (");
            item.append(in.strings.text(in.reported(u.cluster)));
            item.append(")");
            items.push_back(in.strings.text(in.strings.intern(item)));
            st.ticker.tick();
        }
        detail.assign(first.reading == NumberKind::Wildcard ? "wildcard pattern: "
                                                            : "invalid pattern: ");
        join_list(items, detail);
        st.add_row(NewRow(Action::Skipped, first.owner)
                       .number_text(first.pattern)
                       .detail(in.strings.intern(detail)));
        i = j;
    }
}

namespace {

// Row indexes bucketed by the rank of their node's path, each node's rows
// then sorted by (number, action, detail).
std::pmr::vector<std::uint32_t> row_order(PlanState& st) {
    const Inputs& in = st.in;
    const auto& nodes = in.nodes;
    const auto& rows = st.out.rows.records();
    std::pmr::vector<std::uint32_t> node_order(in.mr);
    for (std::uint32_t i = 0; i < nodes.size(); ++i) node_order.push_back(i);
    std::sort(node_order.begin(), node_order.end(), [&](auto a, auto b) {
        return in.strings.text(nodes[a].path) < in.strings.text(nodes[b].path);
    });
    std::pmr::vector<std::uint32_t> rank(nodes.size(), 0, in.mr);
    for (std::uint32_t i = 0; i < node_order.size(); ++i) rank[node_order[i]] = i;
    std::pmr::vector<std::uint32_t> start(nodes.size() + 1, 0, in.mr);
    for (const auto& r : rows) ++start[rank[r.node] + 1];
    for (std::size_t i = 0; i < nodes.size(); ++i) start[i + 1] += start[i];
    std::pmr::vector<std::uint32_t> order(rows.size(), 0, in.mr);
    {
        std::pmr::vector<std::uint32_t> fill(start.begin(), start.end() - 1, in.mr);
        for (std::uint32_t i = 0; i < rows.size(); ++i) order[fill[rank[rows[i].node]]++] = i;
    }
    auto number_text = [&](const RowRecord& r) -> OptText {
        if (r.number == kNone) return std::nullopt;
        return r.number_is_text ? in.strings.text(r.number) : in.numbers.text(r.number);
    };
    auto opt_less = [](const OptText& a, const OptText& b) {
        if (a.has_value() != b.has_value()) return !a.has_value();
        return a && *a < *b;
    };
    auto detail_text = [&](const RowRecord& r) -> OptText {
        if (r.detail == kNone) return std::nullopt;
        return in.strings.text(r.detail);
    };
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        st.ticker.tick();
        std::sort(order.begin() + start[n], order.begin() + start[n + 1], [&](auto a, auto b) {
            const RowRecord &x = rows[a], &y = rows[b];
            OptText nx = number_text(x), ny = number_text(y);
            if (nx != ny) return opt_less(nx, ny);
            if (x.action != y.action) return x.action < y.action;
            return opt_less(detail_text(x), detail_text(y));
        });
    }
    return order;
}

}  // namespace

void report(PlanState& st) {
    const auto& nodes = st.in.nodes;
    for (std::uint32_t n = 0; n < nodes.size(); ++n)
        if (st.unchanged[n]) st.out.unchanged_by_node.emplace_back(nodes[n].id, st.unchanged[n]);

    // Sort the rows and re-point the writes at their rows' new places.
    auto& rows = st.out.rows.records();
    const std::pmr::vector<std::uint32_t> order = row_order(st);
    ChunkedVector<RowRecord> sorted(st.in.mr);
    std::pmr::vector<std::uint32_t> new_place(rows.size(), 0, st.in.mr);
    for (auto i : order) {
        new_place[i] = static_cast<std::uint32_t>(sorted.size());
        sorted.push_back(rows[i]);
    }
    rows.swap(sorted);
    for (auto& u : st.out.updates) u.row = new_place[u.row];
    // Writers lock entries in id order, so two audits (or an audit and an
    // application doing the same) cannot deadlock on them.
    std::sort(st.out.updates.begin(), st.out.updates.end(),
              [](const EntryUpdate& a, const EntryUpdate& b) { return a.entry_id < b.entry_id; });
    for (auto& a : st.out.inserts) a.row = new_place[a.row];
    // New entries are written in the order of their rows, so that the ids
    // they get do not depend on the order in which the inputs were read (the
    // tables' physical order): the same data, the same ids.
    std::sort(st.out.inserts.begin(), st.out.inserts.end(),
              [](const EntryInsert& a, const EntryInsert& b) { return a.row < b.row; });
}

}  // namespace numaudit::core::audit
