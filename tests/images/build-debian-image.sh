#!/usr/bin/env bash
# Builds the test OS image from Debian 12 packages alone (mmdebstrap against the machine's own apt sources):
# systemd, cloud-init, openssh-server and the Debian kernel, in two forms that share one root file system:
#   vmlinuz, initrd.img, filesystem.squashfs  an in-memory boot: Debian's live-boot in the initrd fetches the
#                                             squashfs over HTTP (boot=live fetch=URL) and mounts it read-only
#                                             under a tmpfs overlay
#   disk.img.zst, disk.img.sha256             a raw GPT disk (BIOS boot partition, EFI system partition, ext4
#                                             root labelled rebar-root) that boots by itself under BIOS (GRUB
#                                             i386-pc) and UEFI (GRUB x86_64-efi at the removable path)
# The output is cached under CACHE_ROOT/<sha256 of this script>/, so a machine builds it once per script version.
# Usage: build-debian-image.sh [CACHE_ROOT]   (default /var/cache/rebar-test-images) -> prints the output folder
set -euo pipefail
self=$(readlink -f "$0")
hash=$(sha256sum "$self" | cut -c1-16)
cache_root=${1:-/var/cache/rebar-test-images}
out=$cache_root/$hash
log() { echo "build-debian-image: $*" >&2; }
if [ -f "$out/manifest.txt" ]; then echo "$out"; exit 0; fi
[ "$(id -u)" = 0 ] || { log "needs root (mmdebstrap root mode, loop devices)"; exit 2; }
mkdir -p "$cache_root"
# Several test runs on one machine may ask at once: one builds, the others wait for it.
exec 9>"$cache_root/.lock"
flock 9
if [ -f "$out/manifest.txt" ]; then echo "$out"; exit 0; fi

need=()
for p in mmdebstrap squashfs-tools grub-pc-bin grub-efi-amd64-bin dosfstools mtools e2fsprogs fdisk zstd; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

started=$(date +%s)
work=$(mktemp -d /var/tmp/rebar-image.XXXXXX)
loop="" mnt=$work/mnt
cleanup() {
  mountpoint -q "$mnt/boot/efi" 2>/dev/null && umount "$mnt/boot/efi"
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
root=$work/root

# Packages: the OS under test, live-boot for the in-memory form, and what the image-deploy installer runs
# (curl, zstd, sfdisk, mkfs.vfat, mtools: it streams an image to disk and writes a NoCloud seed).
packages=systemd,systemd-sysv,udev,dbus,linux-image-amd64,initramfs-tools,live-boot,busybox,cloud-init,openssh-server,sudo,iproute2,netbase,curl,zstd,fdisk,dosfstools,mtools,e2fsprogs,procps,less
# Smaller and quicker to boot under emulation: no docs, man pages, translations, or drivers a VM never loads.
excludes=(/usr/share/doc/* /usr/share/man/* /usr/share/info/*
  /lib/modules/*/kernel/drivers/gpu/* /lib/modules/*/kernel/sound/* /lib/modules/*/kernel/drivers/media/*
  /lib/modules/*/kernel/drivers/net/wireless/* /lib/modules/*/kernel/drivers/infiniband/*
  /lib/modules/*/kernel/drivers/staging/* /lib/modules/*/kernel/net/bluetooth/* /lib/modules/*/kernel/drivers/bluetooth/*
  /lib/modules/*/kernel/drivers/isdn/* /lib/modules/*/kernel/drivers/iio/* /lib/modules/*/kernel/drivers/hid/*
  /lib/modules/*/kernel/drivers/input/touchscreen/* /lib/modules/*/kernel/drivers/usb/gadget/*
  /lib/modules/*/kernel/drivers/net/ethernet/mellanox/* /lib/modules/*/kernel/drivers/scsi/*)
dpkgopts=()
for e in "${excludes[@]}"; do dpkgopts+=(--dpkgopt="path-exclude=$e"); done
# Keep what the root disk needs from drivers/scsi (virtio-scsi, sd and the SCSI core are built in or elsewhere).
# Arch-qualified binNMU changelogs must stay, or dpkg cannot unpack Multi-Arch: same packages (mmdebstrap(1)).
dpkgopts+=(--dpkgopt="path-include=/usr/share/doc/*/changelog.Debian.*")
dpkgopts+=(--dpkgopt="path-include=/lib/modules/*/kernel/drivers/scsi/virtio_scsi.ko" --dpkgopt="path-include=/lib/modules/*/kernel/drivers/scsi/sd_mod.ko"
  --dpkgopt="path-include=/lib/modules/*/kernel/drivers/scsi/scsi_mod.ko" --dpkgopt="path-include=/lib/modules/*/kernel/drivers/scsi/sr_mod.ko")

log "mmdebstrap bookworm -> $root"
mmdebstrap --variant=apt --include="$packages" "${dpkgopts[@]}" \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; printf "COMPRESS=zstd\nMODULES=most\n" > "$1/etc/initramfs-tools/conf.d/rebar.conf"' \
  --customize-hook='cat > "$1/etc/cloud/cloud.cfg.d/05-rebar.cfg" <<CFG
# systemd-networkd (part of systemd) renders the network-config: no netplan or ifupdown in this image.
system_info:
  network:
    renderers: [networkd]
datasource_list: [NoCloud, None]
CFG' \
  --customize-hook='chroot "$1" systemctl enable systemd-networkd.service >/dev/null 2>&1' \
  --customize-hook='printf "LABEL=rebar-root / ext4 defaults 0 1\n" > "$1/etc/fstab"; echo rebar-image > "$1/etc/hostname"' \
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; : > "$1/etc/machine-id"; rm -f "$1/var/lib/dbus/machine-id"' \
  --customize-hook='chroot "$1" update-initramfs -u -k all >/dev/null' \
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*.log' \
  bookworm "$root" >"$work/mmdebstrap.log" 2>&1 || { tail -40 "$work/mmdebstrap.log" >&2; exit 1; }
debootstrapped=$(date +%s)

mkdir -p "$work/out"
kernel=$(ls "$root"/boot/vmlinuz-* | head -1)
initrd=$(ls "$root"/boot/initrd.img-* | head -1)
cp "$kernel" "$work/out/vmlinuz"
cp "$initrd" "$work/out/initrd.img"

log "squashfs"
mksquashfs "$root" "$work/out/filesystem.squashfs" -comp zstd -noappend -quiet -e boot >/dev/null

# The disk: GPT with a BIOS boot partition (GRUB's core image), an EFI system partition, and the root file system.
# Sized to the content plus room for first-boot writes; cloud-init's growpart may grow it to the disk afterwards.
used_mib=$(( $(du -sm "$root" | cut -f1) ))
root_mib=$(( used_mib * 12 / 10 + 160 ))
disk_mib=$(( 1 + 1 + 32 + root_mib + 1 ))
disk=$work/out/disk.img
truncate -s "${disk_mib}M" "$disk"
sfdisk -q "$disk" <<PARTS
label: gpt
start=1MiB, size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios
size=32MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
size=${root_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
PARTS
loop=$(losetup --find --show --partscan "$disk")
for n in 2 3; do
  # No udev in a container: make the partition nodes from sysfs when devtmpfs did not.
  [ -b "${loop}p$n" ] || mknod "${loop}p$n" b $(tr ':' ' ' < "/sys/class/block/$(basename "$loop")p$n/dev")
done
mkfs.vfat -n ESP "${loop}p2" >/dev/null
mkfs.ext4 -q -L rebar-root -E root_owner=0:0 -d "$root" "${loop}p3"
mkdir -p "$mnt"
mount "${loop}p3" "$mnt"
mkdir -p "$mnt/boot/efi"
mount "${loop}p2" "$mnt/boot/efi"
grub-install --target=i386-pc --boot-directory="$mnt/boot" --modules="part_gpt ext2" "$loop" 2>"$work/grub.log" || { cat "$work/grub.log" >&2; exit 1; }
grub-install --target=x86_64-efi --removable --no-nvram --efi-directory="$mnt/boot/efi" --boot-directory="$mnt/boot" \
  --modules="part_gpt ext2" "$loop" 2>>"$work/grub.log" || { cat "$work/grub.log" >&2; exit 1; }
cat > "$mnt/boot/grub/grub.cfg" <<CFG
set timeout=1
set default=0
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
search --no-floppy --label --set=root rebar-root
menuentry "Debian 12 (rebar test image)" {
  linux /boot/$(basename "$kernel") root=LABEL=rebar-root ro console=tty0 console=ttyS0,115200
  initrd /boot/$(basename "$initrd")
}
CFG
umount "$mnt/boot/efi"; umount "$mnt"
losetup -d "$loop"; loop=""

log "compress"
sha256sum "$disk" | cut -d' ' -f1 > "$work/out/disk.img.sha256"
zstd -q -T0 -10 --rm "$disk" -o "$work/out/disk.img.zst"
(cd "$work/out" && sha256sum disk.img.zst | cut -d' ' -f1 > disk.img.zst.sha256)
finished=$(date +%s)
{
  echo "script $hash"
  echo "built $(date -u +%FT%TZ)"
  echo "seconds_total $(( finished - started ))"
  echo "seconds_mmdebstrap $(( debootstrapped - started ))"
  echo "kernel $(basename "$kernel")"
  echo "root_mib $used_mib"
  echo "disk_bytes $(( disk_mib * 1024 * 1024 ))"
  for f in vmlinuz initrd.img filesystem.squashfs disk.img.zst; do echo "size_$f $(stat -c %s "$work/out/$f")"; done
} > "$work/out/manifest.txt"
mkdir -p "$out"
mv "$work/out"/* "$out"/
log "done in $(( finished - started ))s: $out"
echo "$out"
