/* pattern-boot.S — a boot sector that draws a still picture in VGA mode 13h
 * (320x200, 256 colours; QEMU shows it as 640x400) and, at each key press,
 * the next one (every pixel's colour changes): a screen with something on
 * every pixel for test-native-launcher.sh (a raw bitmap of it is 640 x 400 x
 * 4 = 1024000 bytes). */
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
    xor %bx, %bx            /* the picture's number, times 8 */
picture:
    xor %di, %di
    xor %si, %si            /* y */
row:
    xor %cx, %cx            /* x */
pixel:
    mov %cx, %ax            /* colour: (x ^ y) / 4 + picture, from 32 on */
    xor %si, %ax
    shr $2, %ax
    add %bl, %al
    and $0x3f, %al
    add $0x20, %al
    stosb
    inc %cx
    cmp $320, %cx
    jb pixel
    inc %si
    cmp $200, %si
    jb row
    push %bx
    xor %ah, %ah            /* wait for a key */
    int $0x16
    pop %bx
    add $8, %bl
    jmp picture
    .org 510
    .word 0xaa55
