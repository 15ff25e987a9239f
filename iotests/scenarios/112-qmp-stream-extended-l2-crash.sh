# rule: block-stream into an extended-L2 top that allocates part of a cluster aborts qemu-storage-daemon 7.2 (stream_populate reaches the copy-on-read assertion of KF-031); repro reports the job's failure with the daemon's last words and later QMP lines find the daemon gone.
# requires: qemu-storage-daemon
# expect: findings KF-035
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -o extended_l2=on -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 0 2k' top.qcow2
qemu-storage-daemon --blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=top.qcow2 \
  --chardev socket,id=qmp0,path=qmp.sock,server=on,wait=off --monitor chardev=qmp0 \
  --nbd-server addr.type=unix,addr.path=qsd.sock &
(QEMU) block-stream device=top job-id=j0
(QEMU) query-block-jobs
