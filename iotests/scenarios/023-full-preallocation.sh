# rule: preallocation=full is like falloc for block status: data clusters everywhere.
qemu-img create -f qcow2 -o preallocation=full fu.qcow2 256k
qemu-img map --output=json -f qcow2 fu.qcow2
