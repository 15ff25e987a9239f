# rule: the image's final partial cluster counts as whole: write -z up to the end makes it a zero cluster and discard frees it.
qemu-img create -f qcow2 p.qcow2 100k
qemu-io -f qcow2 -c 'write -P 1 0 100k' -c 'write -z -u 64k 36k' p.qcow2
qemu-img map --output=json -f qcow2 p.qcow2
qemu-io -f qcow2 -c 'discard 0 100k' p.qcow2
qemu-img map --output=json -f qcow2 p.qcow2
