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
# The disk is assembled from files (mkfs.ext4 -d, mtools, grub-mkimage, GRUB's BIOS boot sectors placed with dd):
# no loop devices or partition scanning, which containers often lack.
# Usage: build-debian-image.sh [CACHE_ROOT]   (default /var/cache/rebar-test-images) -> prints the output folder
set -euo pipefail
self=$(readlink -f "$0")
hash=$(sha256sum "$self" | cut -c1-16)
cache_root=${1:-/var/cache/rebar-test-images}
out=$cache_root/$hash
log() { echo "build-debian-image: $*" >&2; }
if [ -f "$out/manifest.txt" ]; then echo "$out"; exit 0; fi
[ "$(id -u)" = 0 ] || { log "needs root (mmdebstrap's root mode keeps file owners)"; exit 2; }
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
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root

# Packages: the OS under test, live-boot for the in-memory form, and what the image-deploy installer runs
# (curl, zstd, sfdisk, mkfs.vfat, mtools: it streams an image to disk and writes a NoCloud seed).
packages=systemd,systemd-sysv,udev,dbus,linux-image-amd64,initramfs-tools,live-boot,busybox,cloud-init,openssh-server,sudo,iproute2,netbase,curl,zstd,fdisk,dosfstools,mtools,e2fsprogs,procps,less
# Smaller and quicker to boot under emulation: no docs or man pages, no drivers a VM never loads. (dpkg's
# path-exclude cannot drop module folders: it fails creating their subfolders, so a hook deletes those.)
dpkgopts=(--dpkgopt="path-exclude=/usr/share/doc/*" --dpkgopt="path-exclude=/usr/share/man/*" --dpkgopt="path-exclude=/usr/share/info/*")
# Arch-qualified binNMU changelogs must stay, or dpkg cannot unpack Multi-Arch: same packages (mmdebstrap(1)).
dpkgopts+=(--dpkgopt="path-include=/usr/share/doc/*/changelog.Debian.*")
unused_modules="drivers/gpu sound drivers/media drivers/net/wireless drivers/infiniband drivers/staging net/bluetooth
  drivers/bluetooth drivers/isdn drivers/iio drivers/input/touchscreen drivers/usb/gadget drivers/net/ethernet/mellanox"
hooks=(
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"; printf "COMPRESS=zstd\nMODULES=most\n" > "$1/etc/initramfs-tools/conf.d/rebar.conf"'
  # systemd-networkd (part of systemd) renders cloud-init's network-config: no netplan or ifupdown here.
  --customize-hook='printf "system_info:\n  network:\n    renderers: [networkd]\ndatasource_list: [NoCloud, None]\n" > "$1/etc/cloud/cloud.cfg.d/05-rebar.cfg"'
  --customize-hook='chroot "$1" systemctl enable systemd-networkd.service >/dev/null 2>&1'
  --customize-hook='printf "LABEL=rebar-root / ext4 defaults 0 1\n" > "$1/etc/fstab"; echo rebar-image > "$1/etc/hostname"'
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*; : > "$1/etc/machine-id"; rm -f "$1/var/lib/dbus/machine-id"'
  --customize-hook='for m in '"$(echo $unused_modules)"'; do rm -rf "$1"/lib/modules/*/kernel/$m; done; for k in "$1"/lib/modules/*; do chroot "$1" depmod "${k##*/}"; done'
  --customize-hook='chroot "$1" update-initramfs -u -k all >/dev/null'
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*.log'
)
# The root file system is the slow part (minutes): it is cached on its own, keyed by what goes into it.
rootfs_key=$(printf '%s\n' "$packages" "${dpkgopts[@]}" "${hooks[@]}" | sha256sum | cut -c1-16)
rootfs_tar=$cache_root/rootfs-$rootfs_key.tar
if [ ! -f "$rootfs_tar" ]; then
  log "mmdebstrap bookworm (a few minutes)"
  mmdebstrap --variant=apt --include="$packages" "${dpkgopts[@]}" "${hooks[@]}" bookworm "$work/rootfs.tar" \
    >"$work/mmdebstrap.log" 2>&1 || { tail -40 "$work/mmdebstrap.log" >&2; exit 1; }
  mv "$work/rootfs.tar" "$rootfs_tar"
fi
mkdir -p "$root"
tar -C "$root" --numeric-owner -xpf "$rootfs_tar"

# Slimmed for booting under emulation (qemu TCG on shared CI cores, where every instruction counts; numbers in
# tests/images/README.md). Done on the unpacked root, not in mmdebstrap's hooks, so the cached root stays valid.
log "slimming the root"
# Kernel modules: only what a VM (virtio, e1000) and these file systems need. The initrd's MODULES=most, and
# live-boot's hook adding every network driver, then pull in a few dozen modules instead of hundreds: 29.5 MB of
# initrd to 8 MB, which the kernel unpacks and udev coldplugs at emulated speed.
kdir=$(echo "$root"/usr/lib/modules/*)
keep='^(arch|crypto|lib)/|^fs/(ext4|jbd2|squashfs|overlayfs|fat|nls|isofs|fuse|autofs|efivarfs)/|^fs/(mbcache|binfmt_misc)\.ko|^net/(802|8021q|llc|bridge|core|ipv4|ipv6|packet)/|^drivers/(virtio|cdrom|nvme|char/hw_random|firmware/qemu_fw_cfg|block/(virtio_blk|loop)|scsi/(virtio_scsi|sd_mod|sr_mod|scsi_mod|scsi_common)|net/(virtio_net|net_failover|bonding|dummy|veth|tun|mii|ethernet/intel/(e1000|e1000e|igb)/))'
(cd "$kdir/kernel" && find . -name '*.ko*' | sed 's|^\./||' | grep -vE "$keep" | xargs rm -f && find lib -name 'test_*' -delete && find . -type d -empty -delete)
chroot "$root" depmod "${kdir##*/}"
rm -rf "$root"/usr/share/locale/* "$root"/usr/share/i18n
# Units a test boot never needs, several of which cost emulated seconds: timers (apt, e2scrub, fstrim, dpkg
# backup), consoles nobody logs into (no password is set; SSH is the way in), the hwdb and ld.so caches that a fresh
# /etc would otherwise rebuild on every live boot (ConditionNeedsUpdate), and cloud-init's hotplug socket.
systemctl --root="$root" mask --quiet apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
  e2scrub_reap.service fstrim.timer getty@tty1.service serial-getty@ttyS0.service systemd-hwdb-update.service \
  ldconfig.service systemd-pstore.service cloud-init-hotplugd.socket
# systemd-networkd-wait-online waits for every link by default (2 min for one without carrier): one is enough.
mkdir -p "$root/etc/systemd/system/systemd-networkd-wait-online.service.d"
printf '[Service]\nExecStart=\nExecStart=/lib/systemd/systemd-networkd-wait-online --any --timeout=60\n' \
  > "$root/etc/systemd/system/systemd-networkd-wait-online.service.d/rebar.conf"
# cloud-init: only the modules our templates use (each one costs Python time; ntp and package modules would call
# apt, which has no mirror on a provisioning network), and one host key type (RSA key generation is the slowest
# step of the ssh module when emulated).
cat > "$root/etc/cloud/cloud.cfg.d/06-rebar-modules.cfg" <<'CFG'
cloud_init_modules: [bootcmd, write-files, set_hostname, update_hostname, update_etc_hosts, users-groups, ssh]
cloud_config_modules: [runcmd]
cloud_final_modules: [write-files-deferred, scripts-vendor, scripts-per-once, scripts-per-boot, scripts-per-instance, scripts-user, phone-home, final-message]
ssh_genkeytypes: [ed25519]
CFG
chroot "$root" update-initramfs -u -k all >/dev/null 2>&1
# The live root gets its / from live-boot (an overlay): an fstab naming the disk's root would fail to remount.
: > "$root/etc/fstab"
# Host keys in the image, so sshd starts even if it comes up before cloud-init's ssh module, which replaces them
# per instance (ssh_deletekeys) anyway.
chroot "$root" ssh-keygen -A >/dev/null
rootfs_done=$(date +%s)

mkdir -p "$work/out"
kernel=$(basename "$(ls "$root"/boot/vmlinuz-* | head -1)")
initrd=$(basename "$(ls "$root"/boot/initrd.img-* | head -1)")
cp "$root/boot/$kernel" "$work/out/vmlinuz"
cp "$root/boot/$initrd" "$work/out/initrd.img"

log "squashfs"
mksquashfs "$root" "$work/out/filesystem.squashfs" -comp zstd -Xcompression-level 3 -noappend -quiet -e boot >/dev/null

# GRUB: its modules and configuration on the root file system; a core image per firmware whose embedded
# configuration finds the root by label, so no device names are baked in.
printf "LABEL=rebar-root / ext4 defaults 0 1\n" > "$root/etc/fstab"
mkdir -p "$root/boot/grub"
cp -r /usr/lib/grub/i386-pc /usr/lib/grub/x86_64-efi "$root/boot/grub/"
cat > "$root/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
menuentry "Debian 12 (rebar test image)" {
  linux /boot/$kernel root=LABEL=rebar-root ro quiet net.ifnames=0 console=tty0 console=ttyS0,115200
  initrd /boot/$initrd
}
CFG
printf 'search --no-floppy --label --set=root rebar-root\nset prefix=($root)/boot/grub\n' > "$work/early.cfg"
grub-mkimage -O i386-pc -o "$work/core.img" -c "$work/early.cfg" -p /boot/grub biosdisk part_gpt ext2 search search_label
grub-mkimage -O x86_64-efi -o "$work/BOOTX64.EFI" -c "$work/early.cfg" -p /boot/grub part_gpt ext2 search search_label

# The disk: GPT with a BIOS boot partition (GRUB's core image), an EFI system partition, and the root file system
# sized to the content plus room for first-boot writes.
used_mib=$(du -sm "$root" | cut -f1)
root_mib=$(( used_mib * 12 / 10 + 64 ))
disk_mib=$(( 1 + 1 + 32 + root_mib + 1 ))
disk=$work/out/disk.img
truncate -s "${disk_mib}M" "$disk"
sfdisk -q "$disk" <<PARTS
label: gpt
start=1MiB, size=1MiB, type=21686148-6449-6E6F-744E-656564454649, name=bios
size=32MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
size=${root_mib}MiB, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
PARTS
mkfs.vfat -C -n ESP "$work/esp.img" $(( 32 * 1024 )) >/dev/null
MTOOLS_SKIP_CHECK=1 mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT
MTOOLS_SKIP_CHECK=1 mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
truncate -s "${root_mib}M" "$work/root.img"
mkfs.ext4 -q -F -L rebar-root -d "$root" "$work/root.img"
dd if="$work/esp.img" of="$disk" bs=1M seek=2 conv=notrunc,sparse status=none
dd if="$work/root.img" of="$disk" bs=1M seek=34 conv=notrunc,sparse status=none
# What grub-bios-setup does for a GPT disk, done on the file (it insists on probing a host device for its
# directory, which containers may not let it open): core.img goes to the BIOS boot partition (sector 2048), its
# first sector's blocklist names where the rest starts, and boot.img's code (not the partition table) goes into the
# MBR with the sector of core.img and the hard-disk drive check disabled (grub-core/boot/i386/pc/boot.S offsets).
core_sector=2048
cp "$work/core.img" "$work/core-placed.img"
perl -e 'print pack("Q<", $ARGV[0])' $(( core_sector + 1 )) | dd of="$work/core-placed.img" bs=1 seek=$(( 0x1f4 )) conv=notrunc status=none
dd if="$work/core-placed.img" of="$disk" bs=512 seek="$core_sector" conv=notrunc status=none
cp /usr/lib/grub/i386-pc/boot.img "$work/boot.img"
perl -e 'print pack("Q<", $ARGV[0])' "$core_sector" | dd of="$work/boot.img" bs=1 seek=$(( 0x5c )) conv=notrunc status=none
printf '\x90\x90' | dd of="$work/boot.img" bs=1 seek=$(( 0x66 )) conv=notrunc status=none
dd if="$work/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none

log "compress"
sha256sum "$disk" | cut -d' ' -f1 > "$work/out/disk.img.sha256"
zstd -q -T0 -3 --rm "$disk" -o "$work/out/disk.img.zst"
finished=$(date +%s)
{
  echo "script $hash"
  echo "rootfs $rootfs_key"
  echo "built $(date -u +%FT%TZ)"
  echo "seconds_total $(( finished - started ))"
  echo "seconds_rootfs $(( rootfs_done - started ))"
  echo "kernel $kernel"
  echo "root_mib $used_mib"
  echo "disk_bytes $(( disk_mib * 1024 * 1024 ))"
  for f in vmlinuz initrd.img filesystem.squashfs disk.img.zst; do echo "size_$f $(stat -c %s "$work/out/$f")"; done
} > "$work/out/manifest.txt"
mkdir -p "$out"
mv "$work/out"/* "$out"/
log "done in $(( finished - started ))s: $out"
echo "$out"
