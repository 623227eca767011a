# mpheap: a plain Makefile. `make` builds build/mpheap; `make test` runs every test.
CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla
ifeq ($(CI),true)
WARN    += -Werror
endif
CPPFLAGS += -Iinclude -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
LDLIBS  += -lm -pthread
# libpng for the PNG pictures (src/lib/render/render_png.c); Debian: libpng-dev.
PNG_LIBS ?= $(shell pkg-config --libs libpng 2>/dev/null || echo -lpng)
LDLIBS  += $(PNG_LIBS)

LIB_SRC := $(sort $(wildcard src/lib/*.c src/lib/render/*.c src/lib/device/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all bootstrap test check asan fuzz bench board demo format format-check lint clean install
all: $(BUILD)/mpheap

$(BUILD)/libmpheap.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/mpheap: $(CLI_OBJ) $(BUILD)/gen/device_module.o $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# device/mpheap.py as the C string cli_device_module (`mpheap upload`), made at build time
# so that the module has one copy, its own file. '?' is escaped against trigraphs.
$(BUILD)/gen/device_module.c: device/mpheap.py
	@mkdir -p $(dir $@)
	{ echo '/* Made from device/mpheap.py by the Makefile: edit that file. */'; \
	  echo 'extern const char cli_device_module[];'; \
	  echo 'const char cli_device_module[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/    "/' -e 's/$$/\\n"/' $<; \
	  echo '    ;'; } >$@.tmp && mv $@.tmp $@
$(BUILD)/gen/device_module.o: $(BUILD)/gen/device_module.c
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(TEST_OBJ) $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

# The fuzz harness (fuzz/fuzz_parse.c) as a plain binary that replays inputs: any compiler.
FUZZ_OBJ := $(BUILD)/fuzz/fuzz_parse.o $(BUILD)/fuzz/replay_main.o $(BUILD)/tests/unit/harness_read.o
$(BUILD)/fuzz-replay: $(FUZZ_OBJ) $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
-include $(FUZZ_OBJ:.o=.d)

# Installs whatever is missing (Debian packages, the board's npm packages).
bootstrap:
	scripts/bootstrap.sh

# The one test command (README, .ci/run): unit, CLI, real-MicroPython and fuzz-replay tests.
test: bootstrap
	$(MAKE) all $(BUILD)/unit-tests $(BUILD)/fuzz-replay
	BUILD=$(BUILD) tests/run-all.sh

# Sanitizers over the whole suite.
asan:
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

check: test asan

# libFuzzer (clang 14 + libclang-rt-14-dev) on the parser and every renderer, FUZZ_TIME seconds.
# New inputs go to build-fuzz/corpus; fuzz/corpus holds the seeds (replayed by every `make test`).
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
		build-fuzz/libmpheap.a build-fuzz/fuzz/fuzz_parse.o
	clang -g -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz_parse build-fuzz/fuzz/fuzz_parse.o \
		build-fuzz/libmpheap.a $(LDLIBS)
	mkdir -p build-fuzz/corpus
	build-fuzz/fuzz_parse -max_total_time=$(FUZZ_TIME) -max_len=16384 -timeout=10 \
		-dict=fuzz/mpheap.dict -artifact_prefix=build-fuzz/ -print_final_stats=1 \
		build-fuzz/corpus fuzz/corpus

# The main job on the virtual board with a 64 KB heap that cannot grow: real MicroPython runs
# examples/fragmenter.py, which dies of a real MemoryError; mpheap captures the heap after it
# (after gc.collect()) over the serial code path, the traceback before it in the log, and
# shows it with the verdict on the size that failed. capture exits 1 because the program
# raised: that is the demo, any other status stops make.
demo: bootstrap
	$(MAKE) all
	rm -f $(BUILD)/demo.log
	$(BUILD)/mpheap capture --port sim:64K,fixed --gc --run examples/fragmenter.py \
		-o $(BUILD)/demo.log; test $$? -eq 1
	$(BUILD)/mpheap show --collapse-free $(BUILD)/demo.log

board: board/node_modules/.package-lock.json
board/node_modules/.package-lock.json: board/package.json board/package-lock.json
	npm ci --prefix board --no-audit --no-fund

# Speed and memory against the seed's class and wc -l (bench/run.sh says how); table in bench/out/.
bench: all board
	BUILD=$(BUILD) CC=$(CC) CFLAGS="$(CFLAGS)" bench/run.sh

format:
	clang-format -i include/*.h src/lib/*.[ch] src/lib/*/*.[ch] src/cli/*.[ch] tests/unit/*.[ch]
format-check:
	clang-format --dry-run --Werror include/*.h src/lib/*.[ch] src/lib/*/*.[ch] src/cli/*.[ch]

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 -Iinclude src

install: all
	install -D -m 755 $(BUILD)/mpheap $(DESTDIR)$(PREFIX)/bin/mpheap

PREFIX ?= /usr/local

clean:
	rm -rf build build-asan build-fuzz
