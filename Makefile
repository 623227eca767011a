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
LDLIBS  += -lm

LIB_SRC := $(sort $(wildcard src/lib/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all bootstrap test check asan fuzz bench board demo format format-check lint clean install
all: $(BUILD)/mpheap

$(BUILD)/libmpheap.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/mpheap: $(CLI_OBJ) $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(TEST_OBJ) $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

# Installs whatever is missing (Debian packages, the board's npm packages).
bootstrap:
	scripts/bootstrap.sh

# The one test command (README, .ci/run): unit, CLI, real-MicroPython and fuzz-replay tests.
test: bootstrap
	$(MAKE) all $(BUILD)/unit-tests
	BUILD=$(BUILD) tests/run-all.sh

# Sanitizers over the whole suite.
asan:
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

check: test asan

board: board/node_modules/.package-lock.json
board/node_modules/.package-lock.json: board/package.json board/package-lock.json
	npm ci --prefix board --no-audit --no-fund

bench: all board
	bench/run.sh

format:
	clang-format -i include/*.h src/lib/*.[ch] src/cli/*.[ch] tests/unit/*.[ch]
format-check:
	clang-format --dry-run --Werror include/*.h src/lib/*.[ch] src/cli/*.[ch]

lint:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 -Iinclude src

install: all
	install -D -m 755 $(BUILD)/mpheap $(DESTDIR)$(PREFIX)/bin/mpheap

PREFIX ?= /usr/local

clean:
	rm -rf build build-asan build-fuzz
