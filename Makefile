# rstscope - plain GNU Makefile.
#   make            build/rstscope and build/librstscope.a
#   make check      every test; ends with "N passed, N failed"
#   make check SAN=1  the same under ASan + UBSan
#   make check-tsan   the threaded pipeline's tests under ThreadSanitizer
#   make lint       clang-format check + clang-tidy
#   make bench      benchmark against peer tools (not a test; BENCH_ARGS=--quick, --micro, --instr)
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS (default 60)
#   make fuzz-replay  every fuzz corpus and regression input, normal compiler (also in check)
#   make install    PREFIX=/usr/local DESTDIR=: binary, static and shared library,
#                   headers, rstscope.pc, man page rstscope(1), bash completion

CC ?= cc
ifeq ($(CC),cc)
CC := gcc
endif
O ?= 2
BUILD ?= build
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
        -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough
CFLAGS ?= -O$(O) -g
CFLAGS += -std=c11 -D_DEFAULT_SOURCE $(WARN) -Iinclude -Isrc -fPIC
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
LDLIBS := -lpcap -lz -lzstd -lm -lpthread
# Link-time optimisation for what ships (the rstscope binary, the shared
# library) and what measures it (bench/): the objects carry both GCC's
# intermediate code and plain machine code (fat), so the tests, tools and
# fuzz targets link the plain code quickly while `rstscope` gets the hot
# path's small cross-file calls (flow lookups, history, cursors) inlined:
# about 10% fewer instructions per packet (bench --instr). LTO=0 turns it off;
# sanitizer and fuzzing builds never use it.
LTO ?= 1
ifeq ($(LTO),1)
LTO_CFLAGS := -flto=auto -ffat-lto-objects -fno-semantic-interposition
LTO_LDFLAGS := -flto=auto -O$(O)
endif
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
LTO_CFLAGS :=
LTO_LDFLAGS :=
BUILD := build-san
endif

# ThreadSanitizer for the threaded pipeline (make check-tsan).
ifeq ($(TSAN),1)
CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
LTO_CFLAGS :=
LTO_LDFLAGS :=
BUILD := build-tsan
endif

# Fuzzing (docs/robustness.md): FUZZ=1 builds everything into build-fuzz with
# clang, coverage instrumentation and ASan + UBSan; `make fuzz` does that and runs.
FUZZ_TARGETS ?= decode pipeline appid flow
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
ifeq ($(FUZZ),1)
override CC := $(FUZZ_CC)
CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
          -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD := build-fuzz
LTO_CFLAGS :=
LTO_LDFLAGS :=
endif
# gcc-ar indexes the objects' LTO symbols; plain ar when there is no gcc-ar.
AR_LTO := $(if $(LTO_CFLAGS),$(shell command -v gcc-ar || echo ar),ar)

LIB_SRC := $(sort $(wildcard src/util/*.c src/capture/*.c src/decode/*.c src/flow/*.c \
             src/tcp/*.c src/appid/*.c src/verdict/*.c src/output/*.c src/lab/*.c \
             src/engine/*.c src/ipfix/*.c src/report/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
# The report's page, stylesheet and script, embedded in the library as byte
# arrays (src/report/embed.sh) so that they stay plain files in the tree.
REPORT_ASSETS := src/report/report.html src/report/report.css src/report/report.js
LIB_OBJ += $(BUILD)/obj/gen/report_assets.o
LIB := $(BUILD)/librstscope.a
BIN := $(BUILD)/rstscope

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
REPLAY_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay_%)

.PHONY: all check check-tsan lint bench fuzz clean golden-update install
all: $(BIN) $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LTO_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR_LTO) rcs $@ $^

$(BUILD)/gen/report_assets.c: $(REPORT_ASSETS) src/report/embed.sh
	@mkdir -p $(dir $@)
	sh src/report/embed.sh $(REPORT_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/report_assets.o: $(BUILD)/gen/report_assets.c src/report/report_int.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(LTO_LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(LIB) -lcmocka $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# A fuzz target with a plain main() that replays files (fuzz/replay.c).
$(BUILD)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ fuzz/fuzz_$*.c fuzz/replay.c $(LIB) $(LDLIBS)

# The libFuzzer binary (FUZZ=1 only: needs the instrumented library).
$(BUILD)/fuzz_%: fuzz/fuzz_%.c $(LIB)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

$(BUILD)/fuzz/gen_seeds: fuzz/gen_seeds.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

.PHONY: fuzz-run fuzz-replay fuzz-seeds
fuzz:
	$(MAKE) FUZZ=1 fuzz-run

fuzz-run: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) bash fuzz/run.sh $(FUZZ_TARGETS)

fuzz-replay: $(REPLAY_BIN)
	@BUILD=$(BUILD) bash tests/run.sh robust_fuzz_replay

# Regenerates the crafted seeds in fuzz/corpus/{decode,pipeline,flow} (review, then commit).
fuzz-seeds: $(BUILD)/fuzz/gen_seeds
	$(BUILD)/fuzz/gen_seeds fuzz/corpus

check: $(BIN) $(UNIT_BIN) $(TOOL_BIN) $(REPLAY_BIN)
	@BUILD=$(BUILD) bash tests/run.sh

# The threaded pipeline under ThreadSanitizer: test_parallel and
# `analyze --threads` on generated captures (tests/tsan.sh).
check-tsan:
	$(MAKE) TSAN=1 build-tsan/rstscope build-tsan/tests/test_parallel build-tsan/tests/test_capture \
		build-tsan/tools/gen_bench
	@bash tests/tsan.sh build-tsan

lint:
	@bash tests/lint.sh

BENCH_BIN := $(BUILD)/bench/micro $(BUILD)/bench/memlat $(BUILD)/bench/memwarm

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LTO_CFLAGS) $(LDFLAGS) $(LTO_LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench: $(BIN) $(TOOL_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) bash bench/run.sh $(BENCH_ARGS)

golden-update: $(BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) GOLDEN_UPDATE=1 bash tests/run.sh golden

# ---- install ----------------------------------------------------------------
# make install PREFIX=/usr/local DESTDIR=  : the binary, librstscope.a and
# librstscope.so (soname librstscope.so.MAJOR), the public headers,
# rstscope.pc for pkg-config, the man page rstscope(1), bash completion.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
VERSION := $(shell sed -n 's/^\#define RS_VERSION "\(.*\)"/\1/p' include/rstscope/common.h)
SOMAJOR := $(firstword $(subst ., ,$(VERSION)))
SHLIB := $(BUILD)/librstscope.so.$(VERSION)
INSTALL ?= install

.PHONY: shared
shared: $(SHLIB)

$(SHLIB): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,librstscope.so.$(SOMAJOR) $(LDFLAGS) $(LTO_LDFLAGS) -o $@ $(LIB_OBJ) $(LDLIBS)

install: $(BIN) $(LIB) $(SHLIB)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/rstscope $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 755 $(BIN) $(DESTDIR)$(BINDIR)/rstscope
	$(INSTALL) -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/librstscope.a
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/librstscope.so.$(VERSION)
	ln -sf librstscope.so.$(VERSION) $(DESTDIR)$(LIBDIR)/librstscope.so.$(SOMAJOR)
	ln -sf librstscope.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/librstscope.so
	$(INSTALL) -m 644 include/rstscope/*.h $(DESTDIR)$(INCLUDEDIR)/rstscope/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    rstscope.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/rstscope.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/rstscope.pc
	$(INSTALL) -m 644 man/rstscope.1 $(DESTDIR)$(MANDIR)/man1/rstscope.1
	$(INSTALL) -m 644 completion/rstscope.bash $(DESTDIR)$(BASHCOMPDIR)/rstscope

.PHONY: uninstall
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/rstscope $(DESTDIR)$(LIBDIR)/librstscope.a \
	    $(DESTDIR)$(LIBDIR)/librstscope.so $(DESTDIR)$(LIBDIR)/librstscope.so.$(SOMAJOR) \
	    $(DESTDIR)$(LIBDIR)/librstscope.so.$(VERSION) $(DESTDIR)$(PKGCONFIGDIR)/rstscope.pc \
	    $(DESTDIR)$(MANDIR)/man1/rstscope.1 $(DESTDIR)$(BASHCOMPDIR)/rstscope
	rm -rf $(DESTDIR)$(INCLUDEDIR)/rstscope

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
