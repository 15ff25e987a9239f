# rule: a raw filter with offset/size is a window: block status and depth of the window are those of the bytes it shows.
qemu-img create -f qcow2 top.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 64k 64k' -c 'write -z 192k 64k' top.qcow2
qemu-img map --output=json 'json:{"driver":"raw","offset":65536,"size":262144,"file":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}'
qemu-nbd -r -t -A 'json:{"driver":"raw","offset":65536,"size":262144,"file":{"driver":"qcow2","file":{"driver":"file","filename":"top.qcow2"}}}' &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
