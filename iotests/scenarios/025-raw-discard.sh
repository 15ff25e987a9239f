# rule: discard on a raw file punches a hole: whole blocks become holes and read as zero.
qemu-img create -f raw d.raw 1M
qemu-io -f raw -c 'write -P 2 0 1M' -c 'discard 64k 128k' d.raw
qemu-img map --output=json -f raw d.raw
qemu-io -f raw -c 'read -P 0 64k 128k' -c 'read -P 2 0 64k' d.raw
