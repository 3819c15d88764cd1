#!/usr/bin/env bash
# Build the images the docker tests use, from files on this host and without any registry:
#   circle-test/busybox:latest  a static busybox (Debian's busybox-static) with every applet linked
#   circle-test/git:latest      the same plus the host's git, its upload-pack helper and the libraries ldd lists
# Idempotent: an image whose io.circle.test-image label matches VERSION is kept. `--force` rebuilds.
set -euo pipefail

VERSION=2
LABEL=io.circle.test-image
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
force=${1:-}

current_version() {
    docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

wanted() {
    [[ "$force" == "--force" || "$(current_version "$1")" != "$VERSION" ]]
}

import_root() {  # import_root DIR IMAGE
    tar -C "$1" -c . | docker import \
        --change "ENV PATH=$IMAGE_PATH" \
        --change "LABEL $LABEL=$VERSION" \
        --change 'CMD ["/bin/sh"]' \
        - "$2" >/dev/null
    echo "built $2"
}

busybox_root() {  # busybox_root DIR
    local dir=$1 busybox applet
    busybox=$(command -v busybox || true)
    if [[ -z "$busybox" ]] || ldd "$busybox" >/dev/null 2>&1; then
        echo "build.sh: a static busybox is needed (apt-get install busybox-static)" >&2
        exit 1
    fi
    mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/www}
    chmod 1777 "$dir/tmp"
    cp "$busybox" "$dir/bin/busybox"
    for applet in $("$busybox" --list); do
        [[ "$applet" == busybox || -e "$dir/bin/$applet" ]] || ln -s busybox "$dir/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

add_git() {  # add_git DIR
    local dir=$1 git lib
    git=$(command -v git || true)
    if [[ -z "$git" ]]; then
        echo "build.sh: git is needed on the host" >&2
        exit 1
    fi
    mkdir -p "$dir/usr/bin" "$dir/usr/lib/git-core" "$dir/usr/share/git-core"
    cp "$git" "$dir/usr/bin/git"
    for helper in git git-upload-pack git-receive-pack git-upload-archive; do
        ln -sf /usr/bin/git "$dir/usr/lib/git-core/$helper"
    done
    if [[ -d /usr/share/git-core/templates ]]; then
        cp -r /usr/share/git-core/templates "$dir/usr/share/git-core/"
    fi
    for lib in $(ldd "$git" | grep -o '/[^ ]*'); do
        mkdir -p "$dir$(dirname "$lib")"
        cp -L "$lib" "$dir$lib"
    done
}

if ! docker info >/dev/null 2>&1; then
    echo "build.sh: no docker engine answers" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if wanted circle-test/busybox:latest; then
    busybox_root "$work/busybox"
    import_root "$work/busybox" circle-test/busybox:latest
fi

if wanted circle-test/git:latest; then
    busybox_root "$work/git"
    add_git "$work/git"
    import_root "$work/git" circle-test/git:latest
fi
