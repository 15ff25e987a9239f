# rule: with backing: null, unallocated clusters are present:false at depth 0 and allocation depth 0, telling them from the zero cluster (seed 004).
qemu-img create -f raw base.raw $((4*64*1024))
qemu-img create -f qcow2 -b base.raw -F raw top.qcow2
qemu-io -f raw -c "write -P 65 0 192k" base.raw
qemu-io -f qcow2 -c "write -P 69 64k 64k" -c "write -z 128k 64k" top.qcow2
qemu-img map --output=json 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}}'
qemu-nbd -r -t -A 'json:{"driver":"qcow2","backing":null,"file":{"driver":"file","filename":"top.qcow2"}}' &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
