# rule: a safe qemu-img rebase writes into the overlay only the sectors its old and new backing read differently (with the old bytes); -u rewrites the header only, so the guest then sees the new backing.
qemu-img create -f qcow2 old.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 256k' old.qcow2
qemu-img create -f qcow2 new.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 64k 64k' -c 'write -P 9 128k 512' new.qcow2
qemu-img create -f qcow2 -b old.qcow2 -F qcow2 top.qcow2
qemu-img create -f qcow2 -b old.qcow2 -F qcow2 unsafe.qcow2
qemu-io -f qcow2 -c 'write -P 3 0 64k' top.qcow2
qemu-img rebase -f qcow2 -b new.qcow2 -F qcow2 top.qcow2
qemu-img map --output=json -f qcow2 top.qcow2
qemu-img rebase -f qcow2 -u -b new.qcow2 -F qcow2 unsafe.qcow2
qemu-img map --output=json -f qcow2 unsafe.qcow2
qemu-io -r -f qcow2 -c 'read -P 0 0 64k' -c 'read -P 9 128k 512' unsafe.qcow2
