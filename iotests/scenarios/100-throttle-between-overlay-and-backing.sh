# rule: a throttle filter between an overlay and its backing (built with --blockdev node names, which no json: filename can express in QEMU 7.2) is transparent for base:allocation and content; allocation depth counts layers, not filters.
# requires: qemu-storage-daemon nbdinfo
qemu-img create -f qcow2 base.qcow2 1M
qemu-io -f qcow2 -c 'write -P 1 0 64k' base.qcow2
qemu-img create -f qcow2 -b base.qcow2 -F qcow2 top.qcow2
qemu-io -f qcow2 -c 'write -P 2 128k 64k' top.qcow2
qemu-storage-daemon --object throttle-group,id=tg0 \
  --blockdev '{"driver":"file","filename":"base.qcow2","node-name":"base-file","read-only":true}' \
  --blockdev '{"driver":"qcow2","file":"base-file","node-name":"base","read-only":true}' \
  --blockdev '{"driver":"throttle","throttle-group":"tg0","file":"base","node-name":"throttled","read-only":true}' \
  --blockdev '{"driver":"file","filename":"top.qcow2","node-name":"top-file","read-only":true}' \
  --blockdev '{"driver":"qcow2","file":"top-file","backing":"throttled","node-name":"top","read-only":true}' \
  --nbd-server addr.type=unix,addr.path=/tmp/qsd.sock \
  --export type=nbd,id=e0,node-name=top,name=top,allocation-depth=on &
nbdinfo --map=qemu:allocation-depth 'nbd+unix:///top?socket=/tmp/qsd.sock'
nbdinfo --map 'nbd+unix:///top?socket=/tmp/qsd.sock'
