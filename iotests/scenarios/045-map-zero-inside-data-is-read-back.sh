# rule: qemu-img map may call part of a data cluster zero where the image file has a hole (qcow2 RECURSE once qcow2_detect_metadata_preallocation judges the file sparse, here because the bitmap directory sits after the data cluster); the model cannot know the host file's allocation, so repro reads the image back and, as the campaign does, accepts the extra ZERO when the bytes are zero.
# expect: clean
qemu-img create -f qcow2 t.qcow2 1M
qemu-img bitmap --add -f qcow2 t.qcow2 b0
qemu-io -f qcow2 -c 'write -P 1 192k 4k' t.qcow2
qemu-img map --output=json -f qcow2 t.qcow2
