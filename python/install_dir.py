"""Print where `make install PREFIX=P` puts the Python package: the directory this python
searches for packages installed under P (used by the Makefile; standard library only).

    /usr                -> /usr/lib/python3/dist-packages (Debian's own)
    /usr/local, others  -> the interpreter's scheme for P: P/lib/python3.X/dist-packages on
                           Debian, P/lib/python3.X/site-packages elsewhere
    ~/.local            -> the user's site directory (python3 -m site --user-site)
"""
import os
import site
import sys
import sysconfig


def install_dir(prefix):
    prefix = os.path.normpath(prefix)
    if prefix == "/usr" and os.path.isdir("/usr/lib/python3/dist-packages"):
        return "/usr/lib/python3/dist-packages"
    if site.USER_BASE and prefix == os.path.normpath(site.USER_BASE):
        return site.getusersitepackages()
    # The interpreter's own layout under lib/ (Debian's posix_local scheme puts /usr/local's
    # packages in lib/python3.X/dist-packages), moved to the prefix.
    purelib = sysconfig.get_path("purelib")
    return os.path.join(prefix, "lib", os.path.basename(os.path.dirname(purelib)),
                        os.path.basename(purelib))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: install_dir.py PREFIX")
    print(install_dir(sys.argv[1]))
