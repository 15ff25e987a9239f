# KF-031: a copy-on-read read that starts in an unallocated subcluster after an allocated
# one of the same cluster aborts qemu-storage-daemon (the replay reports the dead server).
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -o cluster_size=128k,extended_l2=on -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 0 4k' top.qcow2
qemu-io -c 'read 64k 4k' --image-opts driver=copy-on-read,file.driver=qcow2,file.file.driver=file,file.file.filename=top.qcow2
