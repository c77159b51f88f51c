"""`make usb` (scripts/write-usb.sh) against loop devices, never a real disk.

A loop device says removable=0 and has no vendor or model.  Each test runs
the script inside a private mount namespace (unshare --mount) in which a small
directory is bind-mounted over the device's /sys/block entry: it says
removable=1, gives a vendor and a model, and lists the device's real
partitions.  The bind mount dies with the namespace, so nothing outside sees
it.  Needs root, losetup, partx and unshare; skipped (with the reason)
otherwise.  COOP_WRITE_USB=path runs the tests against another copy of the
script.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.environ.get("COOP_WRITE_USB", os.path.join(REPO, "scripts", "write-usb.sh"))
MKIMAGE = os.path.join(REPO, "scripts", "mkimage.sh")
MIB = 1 << 20


def _run(*cmd, **kw):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=60, **kw)


class WriteUsbTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root for loop devices and mount namespaces")
        for tool in ("losetup", "partx", "unshare", "mount"):
            if not shutil.which(tool):
                self.skipTest(f"{tool} not installed")
        self.dir = tempfile.mkdtemp(prefix="coop-usbtest-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.image = self._pattern_file("image.img", 4 * MIB, b"coop image ")

    # ---- fixtures ---------------------------------------------------------
    def _pattern_file(self, name, size, pattern):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write((pattern * (size // len(pattern) + 1))[:size])
        return path

    def loop(self, size_mib=16, partitioned=False):
        """A loop device over a fresh file (zeros, or a GPT disk with one
        partition, as make image writes); returns (device, backing file)."""
        backing = os.path.join(self.dir, "stick.img")
        if partitioned:
            efi = self._pattern_file("BOOTX64.EFI", 4096, b"x")
            p = _run(MKIMAGE, backing, efi)
            if p.returncode:
                self.skipTest(f"mkimage.sh failed: {p.stderr.strip()}")
        else:
            with open(backing, "wb") as f:
                f.truncate(size_mib * MIB)
        p = _run("losetup", "--find", "--show", backing)
        if p.returncode:
            self.skipTest(f"no loop device: {p.stderr.strip()}")
        dev = p.stdout.strip()
        self.addCleanup(_run, "losetup", "--detach", dev)
        if partitioned:
            _run("partx", "--add", dev)      # no udev here to do it
            # Partitions partx added outlive the detach: remove them first.
            self.addCleanup(_run, "partx", "--delete", dev)
            if not os.path.exists(dev + "p1"):
                self.skipTest(f"the kernel did not add {dev}p1")
        return dev, backing

    def fake_sysfs(self, dev, removable="1"):
        """The directory that stands in for /sys/block/<dev>."""
        name = os.path.basename(dev)
        real = f"/sys/block/{name}"
        fake = os.path.join(self.dir, "sys-" + name)
        shutil.rmtree(fake, ignore_errors=True)
        os.makedirs(os.path.join(fake, "device"))
        for attr, value in (("removable", removable + "\n"),
                            ("device/vendor", "Coop    \n"),
                            ("device/model", "Test Stick      \n")):
            with open(os.path.join(fake, attr), "w") as f:
                f.write(value)
        shutil.copyfile(os.path.join(real, "size"), os.path.join(fake, "size"))
        for entry in os.listdir(real):
            if entry.startswith(name):              # partitions: loop0p1 ...
                os.makedirs(os.path.join(fake, entry))
        return fake

    def write_usb(self, dev, answer="yes\n", removable="1", mount=None, target=None):
        """Runs the script on `target` (default `dev`) with `answer` on its
        standard input, `dev`'s sysfs entry faked, and `mount` (a partition)
        mounted, all inside a private mount namespace."""
        fake = self.fake_sysfs(dev, removable)
        steps = [f"mount --bind '{fake}' /sys/block/{os.path.basename(dev)}"]
        if mount:
            mnt = os.path.join(self.dir, "mnt")
            os.makedirs(mnt, exist_ok=True)
            steps.append(f"mount '{mount}' '{mnt}'")
        steps.append(f"exec sh '{SCRIPT}' '{self.image}' '{target or dev}'")
        return _run("unshare", "--mount", "--propagation", "private",
                    "sh", "-ec", "; ".join(steps), input=answer)

    def assertWritten(self, backing):
        with open(backing, "rb") as f, open(self.image, "rb") as g:
            self.assertTrue(f.read(4 * MIB) == g.read(), "the image is not on the device")

    def assertRefused(self, p, message, backing=None):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn(message, p.stderr)
        if backing:
            with open(backing, "rb") as f:
                self.assertNotIn(b"coop image", f.read(4 * MIB), "written anyway")

    # ---- the tests --------------------------------------------------------
    def test_unpartitioned_stick_is_written(self):
        dev, backing = self.loop()
        p = self.write_usb(dev)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn(f"About to OVERWRITE {dev} ({dev}): Coop Test Stick, 16 MiB", p.stdout)
        self.assertWritten(backing)

    def test_partitioned_stick_reads_the_typed_answer(self):
        dev, backing = self.loop(partitioned=True)
        p = self.write_usb(dev)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("Coop Test Stick, 64 MiB", p.stdout)
        self.assertWritten(backing)

    def test_any_answer_but_yes_writes_nothing(self):
        dev, backing = self.loop()
        self.assertRefused(self.write_usb(dev, answer="y\n"),
                           "not confirmed; nothing written", backing)
        self.assertRefused(self.write_usb(dev, answer=""),
                           "not confirmed; nothing written", backing)

    def test_fixed_disk_is_refused(self):
        dev, backing = self.loop()
        self.assertRefused(self.write_usb(dev, removable="0"),
                           "is neither removable nor on USB", backing)

    def test_mounted_partition_is_refused(self):
        dev, backing = self.loop(partitioned=True)
        if _run("mkfs.ext2", "-q", dev + "p1").returncode:
            self.skipTest("mkfs.ext2 failed")
        self.assertRefused(self.write_usb(dev, mount=dev + "p1"), f"{dev}p1 is mounted")

    def test_partition_instead_of_disk_is_refused(self):
        dev, _ = self.loop(partitioned=True)
        self.assertRefused(self.write_usb(dev, target=dev + "p1"),
                           "is a partition or not a whole disk")

    def test_too_small_a_device_is_refused(self):
        dev, backing = self.loop(size_mib=2)
        self.assertRefused(self.write_usb(dev), "holds 2 MiB, the image needs 4 MiB", backing)

    def test_missing_device_is_explained(self):
        p = _run("sh", SCRIPT, self.image, "")
        self.assertRefused(p, "no device given")
        p = _run("sh", SCRIPT, self.image, "/dev/coop-no-such-disk")
        self.assertRefused(p, "no such device")


if __name__ == "__main__":
    unittest.main()
