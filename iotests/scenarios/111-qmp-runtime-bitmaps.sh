# rule: QMP bitmaps live on the open node: block-dirty-bitmap-add makes a non-persistent bitmap unless asked, merge sets the sources' dirty areas at the target's granularity, clear acts at once, an enabled bitmap of a writable node cannot go into a read-only export (nbd_export_create), a writable NBD export over QMP serves them as qemu:dirty-bitmap:NAME; at quit the persistent ones are stored and the others vanish (bdrv_close, qcow2_store_persistent_dirty_bitmaps).
# requires: qemu-storage-daemon nbdinfo
qemu-img create -f qcow2 t.qcow2 1M
qemu-img bitmap --add -g 65536 t.qcow2 b0
qemu-io -f qcow2 -c 'write -P 1 4k 4k' -c 'write -P 2 300k 100k' t.qcow2
qemu-storage-daemon \
  --blockdev '{"driver":"qcow2","node-name":"fmt","file":{"driver":"file","filename":"t.qcow2"}}' \
  --chardev socket,id=m,path=/tmp/qmp.sock,server=on,wait=off --monitor chardev=m \
  --nbd-server addr.type=unix,addr.path=/tmp/qsd.sock &
(QEMU) block-dirty-bitmap-add node=fmt name=rt granularity=4096
{"return": {}}
(QEMU) block-dirty-bitmap-add node=fmt name=p1 granularity=131072 persistent=true disabled=true
(QEMU) block-dirty-bitmap-merge node=fmt target=rt bitmaps=["b0"]
(QEMU) block-dirty-bitmap-merge node=fmt target=p1 bitmaps=["rt"]
(QEMU) block-dirty-bitmap-clear node=fmt name=b0
(QEMU) block-dirty-bitmap-add node=fmt name=rt
{"error": {"class": "GenericError", "desc": "Bitmap already exists: rt"}}
{"execute": "block-export-add", "arguments": {"type": "nbd", "id": "e0", "node-name": "fmt", "name": "e0", "bitmaps": ["b0", "rt"]}}
{"error": {"class": "GenericError", "desc": "Enabled bitmap 'b0' incompatible with readonly export"}}
{"execute": "block-export-add", "arguments": {"type": "nbd", "id": "e1", "node-name": "fmt", "name": "e1", "writable": true, "bitmaps": ["b0", "rt", "p1"]}}
nbdinfo --map=qemu:dirty-bitmap:rt 'nbd+unix:///e1?socket=/tmp/qsd.sock'
nbdinfo --map=qemu:dirty-bitmap:p1 'nbd+unix:///e1?socket=/tmp/qsd.sock'
nbdinfo --map=qemu:dirty-bitmap:b0 'nbd+unix:///e1?socket=/tmp/qsd.sock'
(QEMU) quit
qemu-img bitmap --remove -f qcow2 t.qcow2 rt
qemu-nbd -r -t -B p1 -B b0 -f qcow2 t.qcow2 &
nbdinfo --map=qemu:dirty-bitmap:p1 nbd://localhost
nbdinfo --map=qemu:dirty-bitmap:b0 nbd://localhost
