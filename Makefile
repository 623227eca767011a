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
# The system: one file per system for what is not portable (issue 13). *_posix.c: termios,
# ptys, poll, fork (Linux; what a macOS build would share); *_linux.c: sysfs discovery;
# *_win32.c: the Win32 serial API, SetupAPI, the console. PLATFORM=windows is `make windows`:
# libpng is cross-built from Debian's source package (scripts/windows-libpng.sh, into
# $(WIN_DEPS)); MinGW-w64 has no ncurses (no watch, explore), and Windows has no pty (no sim,
# exec:, pipe:); src/compat/win32/ stands in for <sys/mman.h>.
PLATFORM ?= linux
WIN_DEPS ?= build-windows/deps
ifeq ($(PLATFORM),windows)
SYS_OUT  := %_posix.c %_linux.c src/cli/tui.c src/cli/cmd_watch.c src/cli/cmd_explore.c \
            src/cli/cmd_sim.c
CPPFLAGS += -Isrc/compat/win32 -include src/compat/win32/compat.h -I$(WIN_DEPS)/libpng/include -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0601
LDFLAGS  += -static
LDLIBS   += -lsetupapi
PNG_LIBS := $(WIN_DEPS)/libpng/libpng.a
NCURSES_LIBS :=
ZLIB_LIBS := -lz
EXE      := .exe
else
SYS_OUT  := %_win32.c
endif
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

LIB_SRC := $(filter-out $(SYS_OUT),$(sort $(wildcard src/lib/*.c src/lib/render/*.c src/lib/device/*.c)))
CLI_SRC := $(filter-out $(SYS_OUT),$(sort $(wildcard src/cli/*.c)))
TEST_SRC := $(filter-out tests/unit/alloc_fail.c,$(sort $(wildcard tests/unit/*.c)))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
ifeq ($(PLATFORM),windows)
# Built against that libpng's headers: made again when it is.
$(BUILD)/src/lib/render/render_png.o $(BUILD)/src/lib/version.o: $(PNG_LIBS)
endif

.PHONY: all bootstrap test check ci asan fuzz bench board demo format format-check lint clean install
all: $(BUILD)/mpheap$(EXE)

# Made anew: `ar r` into an old archive would keep the members of files since removed.
$(BUILD)/libmpheap.a: $(LIB_OBJ) $(BUILD)/gen/report_assets.o
	rm -f $@ && $(AR) rcs $@ $^

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

# The command links libpng, ncurses and zlib in statically where their archives are (Debian's
# -dev packages ship them): mapping four more shared libraries cost every run of mpheap about
# 0.7 ms of CPU (`mpheap --version` 1.9 -> 1.2 ms; a small dump's whole `show` is 2 ms).
# STATIC_DEPS=0 links them as shared libraries, to follow the system's updates of them
# without a rebuild (mpheap only writes PNG and deflate data and reads terminfo with them).
# libmpheap.so and the tests always link them as shared libraries.
STATIC_DEPS ?= 1
DEP_ARCHIVES := libpng16.a libncursesw.a libtinfo.a libz.a
ifeq ($(PLATFORM)$(STATIC_DEPS),linux1)
ifeq ($(strip $(foreach a,$(DEP_ARCHIVES),$(if $(filter /%,$(shell $(CC) -print-file-name=$(a))),,$(a)))),)
CLI_LIBS := -lm -pthread -Wl,-Bstatic -lpng16 -lncursesw -ltinfo -lz -Wl,-Bdynamic
endif
endif
CLI_LIBS ?= $(LDLIBS)

$(BUILD)/mpheap$(EXE): $(CLI_OBJ) $(BUILD)/gen/device_module.o $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(CLI_LIBS)

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

# The fuzz harnesses (fuzz/fuzz_*.c) as plain binaries that replay inputs: any compiler.
# $(BUILD)/fuzz-replay is the parser's and brings the others' fuzz-replay-NAME along.
FUZZ_HARNESSES := parse analyses repl
REPLAY_OBJ := $(BUILD)/fuzz/replay_main.o $(BUILD)/tests/unit/harness_read.o
FUZZ_OBJ := $(BUILD)/fuzz/fuzz_parse.o $(REPLAY_OBJ)
$(BUILD)/fuzz-replay: $(FUZZ_OBJ) $(BUILD)/libmpheap.a \
		$(patsubst %,$(BUILD)/fuzz-replay-%,$(filter-out parse,$(FUZZ_HARNESSES))) \
		$(BUILD)/alloc-fail
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(FUZZ_OBJ) $(BUILD)/libmpheap.a $(LDLIBS)
$(BUILD)/fuzz-replay-%: $(BUILD)/fuzz/fuzz_%.o $(REPLAY_OBJ) $(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
-include $(FUZZ_OBJ:.o=.d) $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/fuzz_%.d) $(BUILD)/tests/unit/alloc_fail.d

# Allocation-failure injection (tests/unit/alloc_fail.c, run by tests/cli/alloc-fail.sh): its
# own binary, as it replaces malloc, calloc, realloc and free.
$(BUILD)/alloc-fail: $(BUILD)/tests/unit/alloc_fail.o $(BUILD)/tests/unit/harness_read.o \
		$(BUILD)/libmpheap.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Installs whatever is missing (Debian packages, the board's npm packages).
bootstrap:
	scripts/bootstrap.sh

# The one test command (README, .ci/run): unit, CLI, real-MicroPython and fuzz-replay tests.
test: bootstrap
	$(MAKE) all $(BUILD)/unit-tests $(BUILD)/fuzz-replay
	BUILD=$(BUILD) tests/run-all.sh

# Sanitizers over the whole suite but two kinds, each skipped with its reason: the virtual
# board's Node suites (tests/board/), which run no C code at all, and tests/cli/install.sh, whose
# shared library Python cannot load with an ASan runtime (its C code runs in the other suites).
# The browser suite runs the sanitized mpheap, so it stays.
asan:
	MPH_SKIP_SUITES='^tests/board/|^tests/cli/install\.sh$$' \
	MPH_SKIP_WHY='no C code beyond the other suites (board: none; install: a sanitized libmpheap.so does not load into Python); make test runs it' \
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test

check: test asan

# CI (.ci/run and the README's test command): the suite, then the suite under ASan and UBSan,
# then the Windows build under Wine (test-windows) and a build from the source tarball.
ci:
	$(MAKE) test
	$(MAKE) asan
	$(MAKE) test-windows
	$(MAKE) distcheck

# libFuzzer (clang 14 + libclang-rt-14-dev), FUZZ_TIME seconds per harness: fuzz_parse (the parser
# and every renderer), fuzz_analyses (diff, timeline, check and their reports), fuzz_repl (the
# raw-REPL client on a fake board). fuzz/corpus* hold the seeds (replayed by every `make test`).
FUZZ_TIME ?= 60
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all
# Every harness in turn, FUZZ_TIME seconds each (FUZZ=analyses: one of them): fuzz_NAME
# starts from fuzz/corpus-NAME (parse: fuzz/corpus; analyses: both) into build-fuzz/corpus-NAME.
FUZZ ?= $(FUZZ_HARNESSES)
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
		build-fuzz/libmpheap.a $(FUZZ:%=build-fuzz/fuzz/fuzz_%.o)
	set -e; for h in $(FUZZ); do \
		clang -g -fsanitize=fuzzer $(FUZZ_SAN) -o build-fuzz/fuzz_$$h build-fuzz/fuzz/fuzz_$$h.o \
			build-fuzz/libmpheap.a $(LDLIBS); \
		mkdir -p build-fuzz/corpus-$$h; \
		seeds=fuzz/corpus-$$h; dict=fuzz/mpheap.dict; \
		case $$h in parse) seeds=fuzz/corpus;; analyses) seeds="fuzz/corpus-analyses fuzz/corpus";; \
			repl) dict=fuzz/repl.dict;; esac; \
		echo "== fuzz_$$h, $(FUZZ_TIME) s"; \
		build-fuzz/fuzz_$$h -max_total_time=$(FUZZ_TIME) -max_len=16384 -timeout=10 \
			-dict=$$dict -artifact_prefix=build-fuzz/$$h- -print_final_stats=1 \
			build-fuzz/corpus-$$h $$seeds; \
	done

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

# ---- Windows and releases (issue 13). README, "Windows", says what the Windows build has.
# mpheap.exe and libmpheap.a cross-built with MinGW-w64 (Debian: gcc-mingw-w64-x86-64 and
# libz-mingw-w64-dev), linked statically: the .exe needs no DLL beside Windows' own.
MINGW ?= x86_64-w64-mingw32
.PHONY: windows windows-zip test-windows dist distcheck
windows: $(WIN_DEPS)/libpng/libpng.a
	$(MAKE) PLATFORM=windows BUILD=build-windows CC=$(MINGW)-gcc AR=$(MINGW)-ar WIN_DEPS=$(WIN_DEPS) \
		build-windows/mpheap.exe build-windows/libmpheap.a

# libpng for mpheap.exe: Debian's libpng1.6 source package, cross-compiled (the script says how).
$(WIN_DEPS)/libpng/libpng.a: scripts/windows-libpng.sh
	scripts/windows-libpng.sh $(WIN_DEPS) $(MINGW)-gcc $(MINGW)-ar

# The Windows build run under Wine (Debian: wine64), compared with this build's output.
test-windows:
	scripts/bootstrap.sh --windows
	$(MAKE) windows
	$(MAKE) all
	MPHEAP=$(BUILD)/mpheap MPHEAP_EXE=build-windows/mpheap.exe MPH_BUILD=$(BUILD) \
		bash tests/cli/windows.sh

# mpheap-VERSION-windows-x86_64.zip: mpheap.exe, the README and the device module.
windows-zip: windows
	rm -rf build-windows/zip && mkdir -p build-windows/zip/mpheap-$(MPH_VER)-windows-x86_64/device
	cp build-windows/mpheap.exe README.md build-windows/zip/mpheap-$(MPH_VER)-windows-x86_64/
	cp device/mpheap.py device/README.md build-windows/zip/mpheap-$(MPH_VER)-windows-x86_64/device/
	$(MINGW)-strip build-windows/zip/mpheap-$(MPH_VER)-windows-x86_64/mpheap.exe
	cd build-windows/zip && rm -f ../mpheap-$(MPH_VER)-windows-x86_64.zip && \
		zip -q -r -X ../mpheap-$(MPH_VER)-windows-x86_64.zip mpheap-$(MPH_VER)-windows-x86_64
	@echo "build-windows/mpheap-$(MPH_VER)-windows-x86_64.zip"

# mpheap-VERSION.tar.gz (VERSION: MPH_VERSION of include/mpheap.h): the files git tracks,
# plus those not yet added in the source folders (minus what .gitignore leaves out), under
# mpheap-VERSION/. distcheck builds it from the tarball alone and runs the unit tests there.
DIST := mpheap-$(MPH_VER)
DIST_DIRS := src include tests fuzz docs board device examples bench python completion scripts .ci
dist:
	@mkdir -p $(BUILD)
	rm -rf $(BUILD)/$(DIST) $(BUILD)/$(DIST).tar.gz
	mkdir -p $(BUILD)/$(DIST)
	{ git ls-files -z --cached; git ls-files -z --others --exclude-standard -- $(DIST_DIRS); } | \
		grep -z -v -E '^(build[^/]*|board/node_modules)/' | \
		xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' sh | \
		tar --null -T - -cf - | tar -xf - -C $(BUILD)/$(DIST)
	tar -C $(BUILD) --sort=name --owner=0 --group=0 --numeric-owner -czf $(BUILD)/$(DIST).tar.gz $(DIST)
	rm -rf $(BUILD)/$(DIST)
	@echo "$(BUILD)/$(DIST).tar.gz"

distcheck: dist
	rm -rf $(BUILD)/distcheck && mkdir -p $(BUILD)/distcheck
	tar -C $(BUILD)/distcheck -xzf $(BUILD)/$(DIST).tar.gz
	$(MAKE) -C $(BUILD)/distcheck/$(DIST) BUILD=build CI=$(CI) all build/unit-tests
	cd $(BUILD)/distcheck/$(DIST) && { build/unit-tests >build/unit.log 2>&1 || { cat build/unit.log; exit 1; }; } && \
		tail -n 1 build/unit.log && build/mpheap --version
	if command -v $(MINGW)-gcc >/dev/null && command -v zip >/dev/null; then \
		src=$$(ls -d $(abspath $(WIN_DEPS))/src/libpng1.6-*/ 2>/dev/null | head -n 1); \
		MPH_LIBPNG_SRC=$${src%/} $(MAKE) -C $(BUILD)/distcheck/$(DIST) CI=$(CI) windows-zip && \
		scripts/check-windows-zip.sh $(BUILD)/distcheck/$(DIST)/build-windows/$(DIST)-windows-x86_64.zip && \
		echo "distcheck: mpheap.exe and its zip build from the tarball too"; \
	else echo "distcheck: no $(MINGW)-gcc or zip (scripts/bootstrap.sh --windows): the Windows build from the tarball is not checked"; fi
	@echo "distcheck: $(DIST) builds from its tarball"
