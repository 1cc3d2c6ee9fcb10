/* picture-boot.S — a boot sector that draws a full-screen moving picture in
 * VGA mode 13h (320x200, 256 colours), one new frame per timer tick
 * (18.2 Hz): rings around the centre plus a diagonal weave, both moving.
 * The bench's "moving picture" workload; no guest OS. */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    sti
    mov $0x0013, %ax        /* mode 13h */
    int $0x10
    mov $0xa000, %ax
    mov %ax, %es
    xor %bp, %bp            /* t: the frame number */
frame:
    xor %di, %di
    xor %si, %si            /* y */
row:
    xor %cx, %cx            /* x */
pixel:
    mov %cx, %ax            /* (x - 160)^2 */
    sub $160, %ax
    imul %ax
    mov %ax, %bx
    mov %si, %ax            /* + (y - 100)^2 */
    sub $100, %ax
    imul %ax
    add %ax, %bx
    shr $6, %bx             /* rings */
    sub %bp, %bx            /* moving outwards */
    mov %cx, %ax            /* weave: ((x + t) ^ (y - t)) / 8 */
    add %bp, %ax
    mov %si, %dx
    sub %bp, %dx
    xor %dx, %ax
    shr $3, %ax
    add %bx, %ax
    and $0x3f, %al
    add $0x20, %al          /* the default palette's colour ramps */
    stosb
    inc %cx
    cmp $320, %cx
    jb pixel
    inc %si
    cmp $200, %si
    jb row
    inc %bp
    hlt                     /* wait for the next timer tick */
    jmp frame
    .org 510
    .word 0xaa55
