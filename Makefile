# rstscope - plain GNU Makefile.
#   make            build/rstscope and build/librstscope.a
#   make check      every test; ends with "N passed, N failed"
#   make check SAN=1  the same under ASan + UBSan
#   make lint       clang-format check + clang-tidy
#   make bench      benchmark against peer tools (not a test; BENCH_ARGS=--quick, --micro)
#   make fuzz       libFuzzer targets (clang), each run FUZZ_SECONDS (default 60)
#   make fuzz-replay  every fuzz corpus and regression input, normal compiler (also in check)

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
LDLIBS := -lpcap -lm -lpthread
ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD := build-san
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
endif

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

.PHONY: all check lint bench fuzz clean golden-update install
all: $(BIN) $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/gen/report_assets.c: $(REPORT_ASSETS) src/report/embed.sh
	@mkdir -p $(dir $@)
	sh src/report/embed.sh $(REPORT_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/report_assets.o: $(BUILD)/gen/report_assets.c src/report/report_int.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

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

lint:
	@bash tests/lint.sh

BENCH_BIN := $(BUILD)/bench/micro

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bench: $(BIN) $(TOOL_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) bash bench/run.sh $(BENCH_ARGS)

golden-update: $(BIN) $(TOOL_BIN)
	@BUILD=$(BUILD) GOLDEN_UPDATE=1 bash tests/run.sh golden

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
