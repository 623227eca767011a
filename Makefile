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
# ncurses, the wide-character library, for the full-screen views (mpheap watch, explore);
# Debian: libncurses-dev.
NCURSES_LIBS ?= $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
LDLIBS  += $(NCURSES_LIBS)
# zlib deflates the HTML report's maps (src/lib/render/render_html.c); libpng-dev pulls it in.
ZLIB_LIBS ?= $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)
LDLIBS  += $(ZLIB_LIBS)

LIB_SRC := $(sort $(wildcard src/lib/*.c src/lib/render/*.c src/lib/device/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)

.PHONY: all bootstrap test check asan fuzz bench board demo format format-check lint clean install
all: $(BUILD)/mpheap

$(BUILD)/libmpheap.a: $(LIB_OBJ) $(BUILD)/gen/report_assets.o
	ar rcs $@ $^

# The HTML report's page (template, script, style: ordinary files in src/lib/render/html/)
# as byte arrays with their SHA-256 for the page's Content-Security-Policy, made at build
# time with POSIX sh and coreutils (no Node.js).
HTML_ASSETS := src/lib/render/html/report.html src/lib/render/html/report.js \
               src/lib/render/html/report.css
$(BUILD)/gen/report_assets.c: src/lib/render/html/embed.sh $(HTML_ASSETS)
	@mkdir -p $(dir $@)
	sh src/lib/render/html/embed.sh $@ $(HTML_ASSETS)
$(BUILD)/gen/report_assets.o: $(BUILD)/gen/report_assets.c
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

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

# ---- Installing (issue 12): the tool, the library (shared and static), its header and
# pkg-config file, man pages made from --help, bash completion, the device module, the
# virtual board, and the Python package (python/mpheap). README, "Install", says what goes where.
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share/mpheap
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's python3 (where Debian's Jupyter runs) when there is one; python/install_dir.py
# picks the directory that python searches for this PREFIX.
PYTHON     ?= $(firstword $(wildcard /usr/bin/python3) python3)
PYTHONDIR  ?= $(shell $(PYTHON) python/install_dir.py $(PREFIX))

# The version and the soname come from include/mpheap.h alone.
# ('.' stands for '#', which make versions treat differently inside $(shell).)
MPH_VER := $(shell sed -n 's/^.define MPH_VERSION "\(.*\)"/\1/p' include/mpheap.h)
MPH_ABI := $(shell sed -n 's/^.define MPH_ABI_VERSION \([0-9]*\).*/\1/p' include/mpheap.h)
SONAME  := libmpheap.so.$(MPH_ABI)
SOFILE  := libmpheap.so.$(MPH_VER)

# The shared library from its own position-independent objects (build/pic/): the static
# library and the binary keep theirs, as fast as before. Exported: exactly the public API
# (src/lib/libmpheap.map); -z defs when not sanitizing (a sanitizer's runtime comes from
# the program).
# The library's generated sources (build/gen/: the HTML report's assets) go in too: a
# generated object that libmpheap.a gets needs its PIC twin here.
PIC_OBJ := $(LIB_SRC:%.c=$(BUILD)/pic/%.o) $(if $(HTML_ASSETS),$(BUILD)/pic/gen/report_assets.o)
$(BUILD)/pic/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -c -o $@ $<
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -MMD -MP -c -o $@ $<
-include $(PIC_OBJ:.o=.d)
$(BUILD)/$(SOFILE): $(PIC_OBJ) src/lib/libmpheap.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=src/lib/libmpheap.map -Wl,--as-needed \
		$(if $(findstring -fsanitize,$(CFLAGS)),,-Wl,-z,defs) -o $@ $(PIC_OBJ) $(LDLIBS)
$(BUILD)/libmpheap.so: $(BUILD)/$(SOFILE)
	ln -sf $(SOFILE) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $@

# Made each time (a sed): it holds PREFIX, which install may be given anew.
.PHONY: $(BUILD)/mpheap.pc
$(BUILD)/mpheap.pc: src/lib/mpheap.pc.in include/mpheap.h Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(MPH_VER)|' -e 's|@LIBS_PRIVATE@|$(strip $(PNG_LIBS) $(ZLIB_LIBS) -lm -pthread)|' $< >$@

# Man pages: mpheap(1) and mpheap-COMMAND(1), made from the binary's own --help.
$(BUILD)/man/stamp: $(BUILD)/mpheap docs/man/mkman.sh docs/man/help2roff.awk
	docs/man/mkman.sh $(BUILD)/mpheap $(BUILD)/man
	touch $@

.PHONY: shared man uninstall python-dir
shared: $(BUILD)/libmpheap.so $(BUILD)/libmpheap.a $(BUILD)/mpheap.pc
man: $(BUILD)/man/stamp

python-dir:
	@test -n "$(PYTHONDIR)" || { echo "make: no python3 to ask where packages go: set PYTHONDIR" >&2; exit 1; }

install: all shared man python-dir
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/device $(DESTDIR)$(DATADIR)/board \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(PYTHONDIR)/mpheap
	install -m 755 $(BUILD)/mpheap $(DESTDIR)$(BINDIR)/mpheap
	install -m 755 $(BUILD)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SOFILE)
	ln -sf $(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmpheap.so
	install -m 644 $(BUILD)/libmpheap.a $(DESTDIR)$(LIBDIR)/libmpheap.a
	install -m 644 $(BUILD)/mpheap.pc $(DESTDIR)$(LIBDIR)/pkgconfig/mpheap.pc
	install -m 644 include/mpheap.h $(DESTDIR)$(INCLUDEDIR)/mpheap.h
	install -m 644 $(BUILD)/man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 completion/mpheap.bash $(DESTDIR)$(BASHCOMPDIR)/mpheap
	install -m 644 device/mpheap.py device/README.md $(DESTDIR)$(DATADIR)/device/
	install -m 644 board/*.mjs board/package.json board/package-lock.json $(DESTDIR)$(DATADIR)/board/
	if [ -d board/node_modules ]; then cp -R board/node_modules $(DESTDIR)$(DATADIR)/board/; fi
	install -m 644 python/mpheap/*.py $(DESTDIR)$(PYTHONDIR)/mpheap/
	printf '# Written by make install: where the rest of mpheap went.\nLIBDIR = "%s"\nBINDIR = "%s"\nDATADIR = "%s"\n' \
		'$(LIBDIR)' '$(BINDIR)' '$(DATADIR)' >$(DESTDIR)$(PYTHONDIR)/mpheap/_installed.py
	@echo "installed under $(DESTDIR)$(PREFIX); the Python package in $(DESTDIR)$(PYTHONDIR)/mpheap"

# Removes what install wrote (and the Python package's byte code); directories that others
# share (bin, lib, man1 ...) stay.
uninstall: python-dir
	rm -f $(DESTDIR)$(BINDIR)/mpheap $(DESTDIR)$(LIBDIR)/$(SOFILE) $(DESTDIR)$(LIBDIR)/$(SONAME) \
		$(DESTDIR)$(LIBDIR)/libmpheap.so $(DESTDIR)$(LIBDIR)/libmpheap.a \
		$(DESTDIR)$(LIBDIR)/pkgconfig/mpheap.pc $(DESTDIR)$(INCLUDEDIR)/mpheap.h \
		$(DESTDIR)$(MANDIR)/man1/mpheap.1 $(DESTDIR)$(MANDIR)/man1/mpheap-*.1 \
		$(DESTDIR)$(BASHCOMPDIR)/mpheap
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(PYTHONDIR)/mpheap

clean:
	rm -rf build build-asan build-fuzz
