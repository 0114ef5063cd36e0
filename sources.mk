# The one list of sources and tests, read by both the PGXS Makefile and CMake.
# Core files: plain C++17, no PostgreSQL header (unit-tested on their own).
CORE_SOURCES = src/core/number_reading.cpp src/core/text_clip.cpp src/core/request.cpp src/core/planner.cpp \
	src/core/audit/interner.cpp src/core/audit/inputs.cpp src/core/audit/plan_state.cpp \
	src/core/audit/collect.cpp src/core/audit/derive_status.cpp src/core/audit/find_conflicts.cpp \
	src/core/audit/audit_entries.cpp src/core/audit/add_missing.cpp src/core/audit/report.cpp
# Backend files: the PostgreSQL-facing layer.
BACKEND_SOURCES = src/backend/guard.cpp src/backend/context_resource.cpp src/backend/spi.cpp \
	src/backend/resolve.cpp src/backend/locks.cpp src/backend/read_inputs.cpp \
	src/backend/apply_plan.cpp src/backend/history.cpp src/backend/audit_unit.cpp \
	src/backend/entry_points.cpp src/backend/procedure.cpp \
	src/backend/notify.cpp src/backend/lookups.cpp src/backend/subtransaction.cpp \
	src/backend/messages.cpp src/backend/settings.cpp src/backend/tracking.cpp \
	src/backend/sweep.cpp
# pg_regress tests (sql/NAME.sql, expected/NAME.out), in run order.
REGRESS_TESTS = schema hierarchy bad_input flat_customer site_scope slc history procedure stale_runs security incremental sweep differential_regressions explain real_data hostile_values fault_injection
# Isolation specs (test/isolation/specs/NAME.spec), in run order.
ISOLATION_TESTS = customer_waits disjoint_sites overlapping_sites nowait waiter_sees_work concurrent_insert snapshot_wait stale_runs rotating_sites provisioning_dml renumber_during_audit watch_progress tree_moves incremental_change_during_audit incremental_two_scopes incremental_dry_run incremental_baseline_dropped incremental_sweep sweep_two_sessions sweep_busy_customer sweep_failure_deadline
# GoogleTest sources of the core.
UNIT_TEST_SOURCES = test/unit/number_reading_test.cpp test/unit/text_clip_test.cpp test/unit/request_test.cpp test/unit/planner_test.cpp test/unit/planner_steps_test.cpp test/unit/planner_focus_test.cpp
