# rule: blkdebug over a single layer whose clusters are multiples of its alignment changes nothing: map and NBD equal the unfiltered answers.
qemu-img create -f qcow2 one.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' -c 'write -z 128k 64k' one.qcow2
qemu-img map --output=json -f qcow2 one.qcow2
qemu-img map --output=json --image-opts driver=blkdebug,align=4096,image.driver=qcow2,image.file.driver=file,image.file.filename=one.qcow2
qemu-nbd -r -t -A --image-opts driver=blkdebug,align=4096,image.driver=qcow2,image.file.driver=file,image.file.filename=one.qcow2 &
nbdinfo --map nbd://localhost
nbdinfo --map=qemu:allocation-depth nbd://localhost
