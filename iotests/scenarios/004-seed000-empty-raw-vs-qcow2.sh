# rule: an empty raw file is entirely local (depth 1) while an empty qcow2 is entirely absent (depth 0) (seed 000).
truncate -s 1M empty.raw
qemu-img create -f qcow2 empty.qcow2 1M
qemu-nbd -r -t -f raw -A -x raw empty.raw &
nbdinfo --map=qemu:allocation-depth nbd://localhost/raw
nbdinfo --map nbd://localhost/raw
qemu-nbd -r -t -f qcow2 -A -x qcow2 empty.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost/qcow2
nbdinfo --map nbd://localhost/qcow2
