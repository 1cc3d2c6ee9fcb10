/* scroll.S — a boot sector that scrolls pseudo-random text through the BIOS
 * teletype, like a boot log: the bench's "text console" workload. */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $0x1234, %si
line:
    mov $72, %cx
char:
    mov %si, %ax            /* xorshift16 */
    shl $7, %ax
    xor %ax, %si
    mov %si, %ax
    shr $9, %ax
    xor %ax, %si
    mov %si, %ax
    shl $8, %ax
    xor %ax, %si
    mov %si, %ax
    and $0x3f, %al
    add $0x30, %al          /* '0' .. 'o' */
    mov $0x0e, %ah
    mov $0x0007, %bx
    push %cx
    push %si
    int $0x10
    pop %si
    pop %cx
    loop char
    mov $0x0e0d, %ax
    int $0x10
    mov $0x0e0a, %ax
    int $0x10
    jmp line
    .org 510
    .word 0xaa55
