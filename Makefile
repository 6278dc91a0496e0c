# moetop: `make` builds ./moetop; `make test` runs every test twice (plain and
# under AddressSanitizer + UndefinedBehaviorSanitizer); `make help` lists targets.

BUILD    ?= build
SAN      ?=
PREFIX   ?= /usr/local
CC       ?= cc
CFLAGS   ?= -O2 -g
PKGS     := ncursesw inih cglm lapacke blas

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# LAPACKE, its BLAS and liblinear are not linked: experiments/linalg.c loads
# them when an analysis needs them (a BLAS such as OpenBLAS starts spinning
# threads when loaded)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out lapacke blas,$(PKGS)) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wcast-qual -Wwrite-strings -Wno-format-nonliteral
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -I. $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
# libvulkan is opened at run time (dlopen), never linked: the binary starts without it
# liblinear ships no pkg-config file
LDLIBS     := $(PKG_LIBS) -lm -lpthread -ldl

ifeq ($(SAN),1)
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS    += -fsanitize=address,undefined
endif

# The plain build puts the binary at the repository root; others keep it in BUILD.
ifeq ($(BUILD),build)
BIN := moetop
else
BIN := $(BUILD)/moetop
endif

ENGINE_SRC := $(wildcard engine/*.c engine/cpu/*.c engine/vulkan/*.c)
EXP_SRC    := $(wildcard experiments/*.c)
CLI_SRC    := $(wildcard cli/*.c cli/experiments/*.c tui/*.c views/*.c config/*.c)
CLI_LIB    := $(filter-out cli/main.c,$(CLI_SRC))
SUPPORT    := $(wildcard tests/support/*.c)
TEST_SRC   := $(wildcard tests/test_*.c)
BENCH_SRC  := $(wildcard tests/bench_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
ENGINE_LIB := $(BUILD)/libmoetop.a
TESTS      := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BENCHES    := $(patsubst tests/%.c,$(BUILD)/tests/%,$(BENCH_SRC))

.PHONY: all tests run test sanitize bench deps check-deps have-deps install uninstall clean help model pictures
all: have-deps $(BIN)

# A plain build only names missing packages; run, test and bench install them.
have-deps:
	@sh tools/deps.sh --check

# V=1 shows the full commands.
Q := $(if $(V),,@)

# Shaders: GLSL compute -> SPIR-V as C initializer lists, included by
# engine/vulkan/vk_spirv.h (through vk_pipelines.c).
SHADERS    := $(wildcard shaders/*.comp)
SPIRV_INC  := $(patsubst shaders/%.comp,$(BUILD)/gen/shaders/%.spv.inc,$(SHADERS))
GLSLC      ?= glslc

$(BUILD)/gen/shaders/%.spv.inc: shaders/%.comp
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  GLSL  $<")
	$(Q)$(GLSLC) -fshader-stage=compute --target-env=vulkan1.2 -O -Werror -mfmt=c -MD -MF $@.d -Ishaders $< -o $@

-include $(SPIRV_INC:=.d)

$(BUILD)/obj/engine/vulkan/vk_pipelines.o: $(SPIRV_INC)
$(BUILD)/obj/engine/vulkan/vk_pipelines.o: ALL_CFLAGS += -I$(BUILD)/gen/shaders

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC    $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(ENGINE_LIB): $(call obj,$(ENGINE_SRC) $(EXP_SRC) $(CLI_LIB))
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(call obj,cli/main.c) $(ENGINE_LIB)
	@$(if $(V),,echo "  LINK  $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(call obj,tests/%.c $(SUPPORT)) $(ENGINE_LIB)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK  $@")
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

tests: all $(TESTS)

# Installs missing Debian packages when run as root; otherwise names them.
check-deps:
	@sh tools/deps.sh --ensure

deps:
	@sh tools/deps.sh

# Opens the explorer on the bundled model.
run: check-deps
	@$(MAKE) --no-print-directory -j2 all
	./moetop

# Trains the bundled model (about 3.5 hours on 2 cores) and writes
# assets/models/moetop-moe.gguf, its parity fixture and docs/bundled-model.md.
# The shipped model's recipe, in stages; each resumes from build/train's last
# checkpoint (a stage already done is skipped), so a stopped run goes on:
# warm-up and peak, a decay to step 2100 and a second to 2400 (default domain
# mix); a third cycle from 1e-3 to 3000 with more arithmetic; 200 steps of
# MXFP4 quantization-aware fine-tuning (the shipped experts are MXFP4).
model: all
	@sh tools/deps.sh --train
	/usr/bin/python3 tools/train/train.py --steps 2100
	/usr/bin/python3 tools/train/train.py --steps 2400
	/usr/bin/python3 tools/train/train.py --steps 3000 --lr 1e-3 --weights math=0.45
	/usr/bin/python3 tools/train/train.py --steps 3200 --lr 3e-4 --weights math=0.45 --qat 1
	/usr/bin/python3 tools/train/export.py

# Every test, plain and under the sanitizers, then a short fuzz pass
# (TEST_FUZZ_SECONDS per target; make fuzz runs longer).
TEST_FUZZ_SECONDS ?= 30

test: check-deps
	@$(MAKE) --no-print-directory -j2 tests
	@$(MAKE) --no-print-directory -j2 BUILD=build/san SAN=1 tests
	@$(MAKE) --no-print-directory -j2 fuzz-build
	@sh tests/run.sh plain=build:./moetop sanitizers=build/san:build/san/moetop vulkan=build:./moetop fuzz=$(TEST_FUZZ_SECONDS)

sanitize: check-deps
	@$(MAKE) --no-print-directory -j2 BUILD=build/san SAN=1 tests
	@sh tests/run.sh sanitizers=build/san:build/san/moetop

# The model `moetop bench` runs on: 8 layers, width 1024, 16 heads of 64 and
# 4 KV heads, 32 experts of 1024 (top-4), vocabulary 8192 + 32, MXFP4 experts,
# Q8_0 attention and embeddings (written once by synth, about 470 MB).
BENCH_MODEL := build/bench-v1.gguf

$(BENCH_MODEL): | $(BIN)
	./moetop synth -q -o $@ --layers 8 --d-model 1024 --heads 16 --kv-heads 4 --head-dim 64 \
	    --experts 32 --k 4 --ff 1024 --swa 128 --vocab-base 8192 \
	    --types embd=q8_0,output=q8_0,attn=q8_0,router=f32,experts=mxfp4

# llama.cpp's llama-bench as a measuring stick, never part of the build: the
# CPU anchor and the lavapipe (Vulkan) anchor, built beside the project as the
# README's Speed section says; either may be given on the command line.
LLAMA_BENCH        ?= $(firstword $(wildcard ../llama/cpu/build/bin/llama-bench ../llama.cpp/build/bin/llama-bench))
LLAMA_BENCH_VULKAN ?= $(firstword $(wildcard ../llama/vk/build/bin/llama-bench ../llama.cpp-vulkan/build/bin/llama-bench))
BENCH_ROUNDS       ?= 3

bench: check-deps
	@$(MAKE) --no-print-directory -j2 all $(BENCHES) $(BENCH_MODEL)
	@for b in $(BENCHES); do $$b; done
	./moetop bench -m $(BENCH_MODEL) --threads 1 -p 64 -n 32 --profile
	@sh tools/bench-side-by-side.sh $(BENCH_MODEL) ./moetop "$(LLAMA_BENCH)" "$(LLAMA_BENCH_VULKAN)" $(BENCH_ROUNDS)

install: $(BIN)
	install -D -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/moetop
	install -D -m 644 assets/models/moetop-moe.gguf $(DESTDIR)$(PREFIX)/share/moetop/moetop-moe.gguf
	install -d $(DESTDIR)$(PREFIX)/share/moetop/prompts
	install -m 644 assets/prompts/*.txt $(DESTDIR)$(PREFIX)/share/moetop/prompts/
	install -d $(DESTDIR)$(PREFIX)/share/moetop/problems
	install -m 644 assets/problems/*.jsonl $(DESTDIR)$(PREFIX)/share/moetop/problems/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/moetop
	rm -rf $(DESTDIR)$(PREFIX)/share/moetop

clean:
	rm -rf build moetop

help:
	@echo "make            build ./moetop"
	@echo "make run        build and open the explorer"
	@echo "make test       every test, plain and under ASan+UBSan"
	@echo "make sanitize   the tests under ASan+UBSan only"
	@echo "make bench      kernel and model speed figures, and moetop against llama.cpp in the same run"
	@echo "                (LLAMA_BENCH=path/to/llama-bench, LLAMA_BENCH_VULKAN=..., BENCH_ROUNDS=3: README, Speed)"
	@echo "make model      train the bundled model again (about 3.5 hours)"
	@echo "make pictures   the README's SVG frames of every view (docs/pictures/)"
	@echo "make deps       install the Debian packages moetop needs (as root)"
	@echo "make install    install to PREFIX=$(PREFIX)"
	@echo "make clean      remove build outputs"

# The README's pictures: moetop's own SVG frames of the dashboard and every
# view on the bundled model, at 120x40 (examples/pictures.keys says which).
pictures: all
	@mkdir -p docs/pictures
	./$(BIN) --headless --size 120x40 --script examples/pictures.keys \
	  --prompt "Mixture-of-Experts models send every token to a few experts: the router picks four of sixteen at each layer, and the colours show which expert won."

# libFuzzer targets (clang, with ASan and UBSan): `make fuzz` runs each for
# FUZZ_SECONDS and keeps what it finds under build/fuzz/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all

# the targets reach no backend but the CPU's: the Vulkan sources stay out
FUZZ_ENGINE := $(filter-out engine/vulkan/%,$(ENGINE_SRC))

build/fuzz/bin/%: tests/fuzz/%.c $(FUZZ_ENGINE)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ  $@")
	$(Q)clang $(FUZZ_FLAGS) $< $(FUZZ_ENGINE) -lm -lpthread -o $@

# the parsers of what people type: the config (with inih) and key scripts
build/fuzz/bin/fuzz_config: tests/fuzz/fuzz_config.c config/config.c tui/view_names.c $(FUZZ_ENGINE)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ  $@")
	$(Q)clang $(FUZZ_FLAGS) $^ $(shell pkg-config --libs inih 2>/dev/null) -lm -lpthread -o $@

build/fuzz/bin/fuzz_script: tests/fuzz/fuzz_script.c tui/script.c $(FUZZ_ENGINE)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  FUZZ  $@")
	$(Q)clang $(FUZZ_FLAGS) $^ -lm -lpthread -o $@

fuzz-build: $(FUZZ_TARGETS)

fuzz: check-deps fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
