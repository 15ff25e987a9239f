# KF-045: write -z -u through a BlockBackend frees a qcow2 data cluster on a node opened
# with discard=ignore (the map shows a zero cluster without a host offset); a plain discard
# on the same node is ignored, as discard=ignore says.
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 128k' base.qcow2
qemu-io -c 'write -z -u 0 64k' -c 'discard 64k 64k' --image-opts driver=qcow2,discard=ignore,file.driver=file,file.filename=base.qcow2
qemu-img map --output=json -f qcow2 base.qcow2
