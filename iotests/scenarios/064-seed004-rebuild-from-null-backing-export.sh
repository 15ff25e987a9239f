# rule: a layer exported alone (backing: null) and queried is rebuilt over its real chain as ovirt-imageio did: from base:allocation alone the zeroed cluster reads the backing again (first differing byte 131072), with qemu:allocation-depth the rebuild is exact (seed 004).
qemu-img create -f raw base.raw $((4*64*1024))
qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
qemu-io -f raw -c "write -P 65 0 64k" -c "write -P 66 64k 64k" -c "write -P 67 128k 64k" base.raw
qemu-io -f qcow2 -c "write -P 69 64k 64k" -c "write -z 128k 64k" top.qcow2
qemu-nbd -r -t -A 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}}' &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
