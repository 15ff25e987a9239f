# KF-032: a copy-on-read read that ends before an allocated subcluster of the same cluster
# aborts QEMU ('bytes is negative'): the pieces after the request make `progress` pass `bytes`.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 1M' base.qcow2
qemu-img create -f qcow2 -o cluster_size=128k,extended_l2=on -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 8k 4k' top.qcow2
qemu-io -c 'read 0 4k' --image-opts driver=copy-on-read,file.driver=qcow2,file.file.driver=file,file.file.filename=top.qcow2
