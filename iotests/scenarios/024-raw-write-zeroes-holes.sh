# rule: write -z on a raw file punches or zero-ranges whole filesystem blocks: they read back as holes (ext4), the partial block stays data.
qemu-img create -f raw r.raw 1M
qemu-io -f raw -c 'write -P 1 0 256k' -c 'write -z 4096 64k' -c 'write -z -u 131072 2048' r.raw
qemu-img map --output=json -f raw r.raw
qemu-nbd -r -t -f raw r.raw &
nbdinfo --map nbd://localhost
