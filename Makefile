# PGXS build: make && make install; make installcheck runs the pg_regress
# tests (sql/, expected/) and then the isolation specs (test/isolation/specs,
# test/isolation/expected) against a running server. test/scripts/installcheck.sh
# runs it with the server's host, port and user and prints the diffs.
include sources.mk

MODULE_big = numaudit
OBJS = $(CORE_SOURCES:.cpp=.o) $(BACKEND_SOURCES:.cpp=.o)
EXTENSION = numaudit
DATA = $(wildcard extension/numaudit--*.sql)
PGFILEDESC = "numaudit - telephone-number inventory audit"

REGRESS = $(REGRESS_TESTS)
# Isolation specs as postgres contrib/test_decoding does, with their inputs
# under test/isolation and their output in test/isolation/output_iso (these
# options come after the PGXS defaults, so they win).
ISOLATION = $(ISOLATION_TESTS)
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation/output_iso
EXTRA_CLEAN += test/isolation/output_iso

PG_CONFIG ?= pg_config
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-register -fPIC -Isrc
PG_CPPFLAGS = -Isrc
SHLIB_LINK = -lstdc++

# No LLVM bitcode for JIT: the C++ sources are not meant for inlining.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Rebuild objects when a header they include changes.
override CXXFLAGS += -MMD -MP
-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

numaudit.control: extension/numaudit.control
	cp $< $@
all: numaudit.control
EXTRA_CLEAN += numaudit.control
