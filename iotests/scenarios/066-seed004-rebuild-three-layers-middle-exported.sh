# rule: a middle layer exported alone (backing: null) and queried is rebuilt over its own chain (base > mid), not the chain above it: base:allocation alone loses mid's zeroed and discarded ranges, allocation depth rebuilds it exactly (seed 004, three layers).
qemu-img create -f qcow2 -o cluster_size=64k base.qcow2 256k
qemu-img create -f qcow2 -o cluster_size=32k,extended_l2=on -b base.qcow2 -F qcow2 mid.qcow2
qemu-img create -f qcow2 -o cluster_size=4k -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 65 0 256k' base.qcow2
qemu-io -f qcow2 -c 'write -z -u 64k 33k' -c 'discard 128k 32k' mid.qcow2
qemu-io -f qcow2 -c 'write -P 69 66k 2k' -c 'write -z 192k 8k' top.qcow2
qemu-nbd -r -t -A 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"mid.qcow2"}}' &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
