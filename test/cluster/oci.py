"""OCI image archives for the real node's containerd, written without a container engine.

Shared by images.sh (the fixture images) and sealed-secrets.sh (the controller's image): one
gzip layer from a dict of entries, then one archive per image (oci-layout, index.json, blobs)
for `ctr images import`. Every byte is fixed by the inputs (sorted entries, owner, mode and
mtime set here, gzip without a name or time), so the same inputs give the same digests: the
ones tests pin.

Python's tarfile rather than GNU tar: the layer must not depend on the checkout's
permissions, the umask or the tar version.
"""
import gzip
import hashlib
import io
import json
import re
import tarfile


def tar(entries):
    """A deterministic tar: entries sorted by name, root-owned unless said, mtime 0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, kind, mode, data, extra in sorted(entries, key=lambda e: e[0]):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = kind, mode, 0
            info.uid = info.gid = extra.get("owner", 0)
            info.uname = info.gname = ""
            if kind == tarfile.SYMTYPE:
                info.linkname = data
                tf.addfile(info)
            elif kind == tarfile.DIRTYPE:
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def d(kind, mode, data=b"", **extra):
    """One entry's (kind, mode, data, extra); extra may hold owner (uid and gid)."""
    return kind, mode, data, extra


def directory(mode=0o755, **extra):
    return d(tarfile.DIRTYPE, mode, **extra)


def regular(mode, data, **extra):
    return d(tarfile.REGTYPE, mode, data, **extra)


def symlink(target):
    return d(tarfile.SYMTYPE, 0o777, target)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Layer:
    """One filesystem layer from {path: entry}: the tar (its digest is the config's diff_id)
    and its gzip (the blob)."""

    def __init__(self, rootfs):
        self.tar = tar([(name, *rest) for name, rest in rootfs.items()])
        # gzip with mtime 0 and no file name in its header (gzip -n): the same tar, the same bytes.
        self.blob = gzip.compress(self.tar, compresslevel=6, mtime=0)
        self.descriptor = {
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": sha(self.blob),
            "size": len(self.blob),
        }


def write_image(stage, out, ref, arch, run, layer, created_by):
    """Writes <stage>/<ref with / and : as _>.tar for one image of one layer; run is the image
    config's config (Entrypoint, Env, User...). Returns the images.txt line
    "<ref> <manifest digest> <out>/<name>" (the archive is moved to out by the caller)."""
    tag = ref.rsplit(":", 1)[1]
    config = canonical({
        "architecture": arch,
        "os": "linux",
        "config": run,
        "rootfs": {"type": "layers", "diff_ids": [sha(layer.tar)]},
        "history": [{"created_by": created_by}],
    })
    manifest = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(config), "size": len(config)},
        "layers": [layer.descriptor],
    })
    # io.containerd.image.name is what `ctr images import` names the image by;
    # org.opencontainers.image.ref.name is the layout spec's tag, for other tools.
    index = canonical({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(manifest),
            "size": len(manifest),
            "platform": {"architecture": arch, "os": "linux"},
            "annotations": {"io.containerd.image.name": ref, "org.opencontainers.image.ref.name": tag},
        }],
    })
    blobs = {sha(b)[len("sha256:"):]: b for b in (layer.blob, config, manifest)}
    archive = tar(
        [("oci-layout", *regular(0o644, b'{"imageLayoutVersion":"1.0.0"}')),
         ("index.json", *regular(0o644, index)),
         ("blobs", *directory()),
         ("blobs/sha256", *directory())]
        + [("blobs/sha256/" + h, *regular(0o644, b)) for h, b in blobs.items()]
    )
    name = re.sub(r"[^A-Za-z0-9._-]", "_", ref) + ".tar"
    with open(f"{stage}/{name}", "wb") as f:
        f.write(archive)
    return f"{ref} {sha(manifest)} {out}/{name}\n"
