# rule: block-stream over QMP copies into the top every range the top does not allocate down to the base (read through the chain: zero pieces become zero clusters) and rebases the top onto the base (stream_run); the job runs to its end before the next line, and quit closes the daemon's images.
# requires: qemu-storage-daemon nbdinfo
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
qemu-io -f qcow2 -c 'write -P 2 256k 64k' -c 'write -z 64k 64k' mid.qcow2
qemu-img create -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 3 512k 64k' top.qcow2
qemu-storage-daemon \
  --blockdev driver=file,filename=base.qcow2,node-name=base-file \
  --blockdev driver=qcow2,file=base-file,node-name=base \
  --blockdev driver=file,filename=mid.qcow2,node-name=mid-file \
  --blockdev driver=qcow2,file=mid-file,backing=base,node-name=mid \
  --blockdev driver=file,filename=top.qcow2,node-name=top-file \
  --blockdev driver=qcow2,file=top-file,backing=mid,node-name=top \
  --chardev socket,id=qmp0,path=/tmp/qmp.sock,server=on,wait=off --monitor chardev=qmp0 \
  --nbd-server addr.type=unix,addr.path=/tmp/qsd.sock &
{"execute": "qmp_capabilities"}
{"return": {}}
(QEMU) block-stream device=top job-id=j0 base-node=base
{"return": {}}
(QEMU) query-block-jobs
{"return": []}
-> {"execute": "quit"}
<- {"return": {}}
qemu-img map --output=json -f qcow2 top.qcow2
qemu-img info -f qcow2 top.qcow2
qemu-nbd -r -t -A -f qcow2 top.qcow2 &
nbdinfo --map=qemu:allocation-depth nbd://localhost
nbdinfo --map nbd://localhost
