# rule: base:allocation and qemu:allocation-depth together tell hole/zero/local/backing for every cluster of the 4-cluster chain (seed 000 joint view).
qemu-img create -f raw base.raw $((4*64*1024))
qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
qemu-io -f raw -c "w -P 65 0 64k" -c "w -P 66 64k 64k" -c "w -P 67 128k 64k" base.raw
qemu-io -f qcow2 -c "w -P 69 64k 64k" -c "w -z 128k 64k" top.qcow2
qemu-nbd -r -t -f qcow2 -A top.qcow2 &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
