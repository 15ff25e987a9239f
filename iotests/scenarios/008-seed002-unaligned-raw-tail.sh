# rule: an unaligned raw file is exported with its sector-rounded size and its tail past the real end reads as a zero hole (seed 002, iotest 241).
truncate -s 1000 tail.raw
qemu-io -f raw -c 'write -P 7 0 1000' tail.raw
qemu-img map --output=json -f raw tail.raw
qemu-nbd -r -t -f raw tail.raw &
nbdinfo --map nbd://localhost
