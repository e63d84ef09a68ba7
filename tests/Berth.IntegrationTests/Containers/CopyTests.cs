using System.Formats.Tar;

namespace Berth.IntegrationTests.Containers;

/// <summary>
/// berth cp both ways, for running and stopped containers: docker's rules for files, directories
/// and "/.", tar streams on stdin and stdout, owners, and symlinks in the container (to "/", above
/// "/", in an uploaded tar) that must never make cp read or write the host's files.
/// </summary>
[Collection("images")]
public sealed class CopyTests(EngineStore store) : IClassFixture<EngineStore>
{
    private const string Tree = "mkdir -p /srv/d/sub && echo one > /srv/d/a && echo two > /srv/d/sub/b && ln -s a /srv/d/link";

    private string HostDir(string name) =>
        Directory.CreateDirectory(Path.Combine(store.Dir, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    /// <summary>A running container that did <paramref name="setup"/> first.</summary>
    private string RunDetached(string name, string setup)
    {
        string id = store.Berth("run", "-d", "--name", name, "busybox", "sh", "-c", setup + " && touch /ready && exec sleep 600").Ok().Stdout.Trim();
        RunTests.WaitFor(() => store.Berth("exec", name, "test", "-e", "/ready").ExitCode == 0);
        return id;
    }

    private static string[] Names(string dir) =>
        Directory.GetFileSystemEntries(dir).Select(e => Path.GetFileName(e)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void CopiesOutOfARunningContainerByDockersRules()
    {
        RunDetached("cp-out", Tree);
        try
        {
            string host = HostDir("out");
            // A file: into an existing directory under its own name, or to a new path under that name.
            store.Berth("cp", "cp-out:/srv/d/a", host).Ok();
            Assert.Equal("one\n", File.ReadAllText(Path.Combine(host, "a")));
            store.Berth("cp", "cp-out:/srv/d/a", Path.Combine(host, "renamed")).Ok();
            Assert.Equal("one\n", File.ReadAllText(Path.Combine(host, "renamed")));
            // A directory: to a new path it becomes that path; into an existing one it goes inside.
            store.Berth("cp", "cp-out:/srv/d", Path.Combine(host, "copy")).Ok();
            Assert.Equal(["a", "link", "sub"], Names(Path.Combine(host, "copy")));
            Assert.Equal("two\n", File.ReadAllText(Path.Combine(host, "copy", "sub", "b")));
            Assert.Equal("a", new FileInfo(Path.Combine(host, "copy", "link")).LinkTarget);
            store.Berth("cp", "cp-out:/srv/d", Path.Combine(host, "copy")).Ok();
            Assert.Equal("two\n", File.ReadAllText(Path.Combine(host, "copy", "d", "sub", "b")));
            // "/." copies what the directory holds.
            string contents = HostDir("contents");
            store.Berth("cp", "cp-out:/srv/d/.", contents).Ok();
            Assert.Equal(["a", "link", "sub"], Names(contents));
            // A symlink is copied as one; -L copies its target under the link's name.
            store.Berth("cp", "cp-out:/srv/d/link", Path.Combine(host, "asis")).Ok();
            Assert.Equal("a", new FileInfo(Path.Combine(host, "asis")).LinkTarget);
            store.Berth("cp", "-L", "cp-out:/srv/d/link", Path.Combine(host, "followed")).Ok();
            Assert.Null(new FileInfo(Path.Combine(host, "followed")).LinkTarget);
            Assert.Equal("one\n", File.ReadAllText(Path.Combine(host, "followed")));

            var missing = store.Berth("cp", "cp-out:/nope", host);
            Assert.Equal(1, missing.ExitCode);
            Assert.Equal("Error: Could not find the file /nope in container cp-out\n", missing.Stderr);
            var dirOntoFile = store.Berth("cp", "cp-out:/srv/d", Path.Combine(host, "a"));
            Assert.Equal(1, dirOntoFile.ExitCode);
            Assert.Contains("cannot copy directory", dirOntoFile.Stderr);
        }
        finally { store.Berth("rm", "-f", "cp-out").Ok(); }
    }

    [Fact]
    public void CopiesIntoARunningContainerByDockersRules()
    {
        RunDetached("cp-in", "mkdir -p /dst");
        try
        {
            string host = HostDir("in");
            string file = Path.Combine(host, "f.txt");
            File.WriteAllText(file, "hello;");
            Directory.CreateDirectory(Path.Combine(host, "tree", "sub"));
            File.WriteAllText(Path.Combine(host, "tree", "sub", "x"), "x;");
            store.Berth("cp", file, "cp-in:/dst").Ok();
            store.Berth("cp", file, "cp-in:/dst/g.txt").Ok();
            store.Berth("cp", Path.Combine(host, "tree"), "cp-in:/dst").Ok();
            store.Berth("cp", Path.Combine(host, "tree") + "/.", "cp-in:/dst/fresh").Ok();
            var r = store.Berth("exec", "cp-in", "sh", "-c", "cat /dst/f.txt /dst/g.txt /dst/tree/sub/x /dst/fresh/sub/x; ls /dst").Ok();
            Assert.Equal("hello;hello;x;x;f.txt\nfresh\ng.txt\ntree\n", r.Stdout);

            var noDirectory = store.Berth("cp", file, "cp-in:/dst/missing/");
            Assert.Equal(1, noDirectory.ExitCode);
            Assert.Equal("Error: no such directory\n", noDirectory.Stderr);
            var dirOntoFile = store.Berth("cp", Path.Combine(host, "tree"), "cp-in:/dst/f.txt");
            Assert.Equal(1, dirOntoFile.ExitCode);
            Assert.Contains("cannot copy directory", dirOntoFile.Stderr);
            var noParent = store.Berth("cp", file, "cp-in:/nowhere/at/all");
            Assert.Equal(1, noParent.ExitCode);
            Assert.Equal("Error: Could not find the file /nowhere/at in container cp-in\n", noParent.Stderr);
            var noSource = store.Berth("cp", Path.Combine(host, "nope"), "cp-in:/dst");
            Assert.Equal(1, noSource.ExitCode);
            Assert.Contains("no such file or directory", noSource.Stderr);
            Assert.Equal("copying between containers is not supported\n", store.Berth("cp", "cp-in:/a", "cp-in:/b").Stderr[7..]);
            Assert.Equal(1, store.Berth("cp", "no-such-ctr:/a", host).ExitCode);
        }
        finally { store.Berth("rm", "-f", "cp-in").Ok(); }
    }

    [Fact]
    public void CopiesIntoAndOutOfStoppedContainers()
    {
        string host = HostDir("stopped");
        File.WriteAllText(Path.Combine(host, "seed.txt"), "seeded\n");
        File.WriteAllText(Path.Combine(host, "vol.txt"), "in the volume\n");
        // Never started: no root is mounted, cp mounts one for itself; /data does not exist yet.
        string id = store.Berth("create", "--name", "cp-stopped", "-v", "cp-stopped-vol:/data", "busybox", "sh", "-c",
            "cat /seed.txt /data/vol.txt; echo made > /made.txt; echo kept > /data/kept.txt").Ok().Stdout.Trim();
        try
        {
            store.Berth("cp", Path.Combine(host, "seed.txt"), "cp-stopped:/").Ok();
            store.Berth("cp", Path.Combine(host, "vol.txt"), "cp-stopped:/data/").Ok();
            Assert.Equal("in the volume\n", File.ReadAllText(Path.Combine(store.Root, "volumes", "cp-stopped-vol", "_data", "vol.txt")));
            Assert.DoesNotContain(store.Dir, File.ReadAllText("/proc/self/mountinfo"));

            var run = store.Berth("start", "-a", "cp-stopped").Ok();
            Assert.Equal("seeded\nin the volume\n", run.Stdout);
            Assert.Equal("exited", store.Inspect("cp-stopped", "{{.State.Status}}"));
            // Exited: its files, and its volume's, are read through a temporary mount again.
            store.Berth("cp", "cp-stopped:/made.txt", host).Ok();
            Assert.Equal("made\n", File.ReadAllText(Path.Combine(host, "made.txt")));
            Assert.Equal("kept\n", store.Sh("berth cp cp-stopped:/data/kept.txt - | tar -xOf -").Ok().Stdout);
            store.Berth("cp", Path.Combine(host, "seed.txt"), "cp-stopped:/made.txt").Ok();
            Assert.Equal("seeded\n", store.Sh("berth cp cp-stopped:/made.txt - | tar -xOf -").Ok().Stdout);
            Assert.DoesNotContain(store.Dir, File.ReadAllText("/proc/self/mountinfo"));
            // It still starts: nothing of the copies holds its layer.
            Assert.Equal("seeded\nin the volume\n", store.Berth("start", "-a", "cp-stopped").Ok().Stdout);
        }
        finally
        {
            store.Berth("rm", "-f", "cp-stopped").Ok();
            store.Berth("volume", "rm", "cp-stopped-vol").Ok();
        }
        Assert.Empty(store.Leftovers([id]));
    }

    [Fact]
    public void TarStreamsGoThroughStdoutAndStdin()
    {
        RunDetached("cp-tar", Tree);
        try
        {
            Assert.Equal("d/\nd/a\nd/link\nd/sub/\nd/sub/b\n", store.Sh("berth cp cp-tar:/srv/d - | tar -tf - | sort").Ok().Stdout);
            Assert.Equal("./\n./a\n./link\n./sub/\n./sub/b\n", store.Sh("berth cp cp-tar:/srv/d/. - | tar -tf - | sort").Ok().Stdout);
            Assert.Equal("two\n", store.Sh("berth cp cp-tar:/srv/d/sub/b - | tar -xOf -").Ok().Stdout);
            Assert.Equal("link -> a", store.Sh("berth cp cp-tar:/srv/d/link - | tar -tvf - | sed 's/.* link/link/'").Ok().Stdout.Trim());

            string src = HostDir("tarsrc");
            File.WriteAllText(Path.Combine(src, "from-tar"), "streamed\n");
            store.Sh($"tar -C '{src}' -cf - . | berth cp - cp-tar:/srv/d/sub").Ok();
            Assert.Equal("streamed\n", store.Berth("exec", "cp-tar", "cat", "/srv/d/sub/from-tar").Ok().Stdout);
            var ontoFile = store.Sh($"tar -C '{src}' -cf - . | berth cp - cp-tar:/srv/d/a");
            Assert.Equal(1, ontoFile.ExitCode);
            Assert.Contains("destination \"cp-tar:/srv/d/a\" must be a directory", ontoFile.Stderr);
            var garbage = store.Sh("head -c 3000 /dev/urandom | berth cp - cp-tar:/srv/d");
            Assert.Equal(1, garbage.ExitCode);
        }
        finally { store.Berth("rm", "-f", "cp-tar").Ok(); }
    }

    [Fact]
    public void SymlinksInTheContainerNeverLeadToTheHost()
    {
        string victim = HostDir("victim");
        File.WriteAllText(Path.Combine(victim, "secret.txt"), "host secret\n");
        string id = RunDetached("cp-escape", $"ln -s / /rootlink && mkdir -p /deep/er && ln -s ../../../../.. /deep/er/up && mkdir -p {victim}");
        try
        {
            // Reading through links to "/" and above it finds the container's files, never the host's.
            var viaRoot = store.Berth("cp", $"cp-escape:/rootlink{victim}/secret.txt", HostDir("got"));
            Assert.Equal(1, viaRoot.ExitCode);
            Assert.Contains("Could not find the file", viaRoot.Stderr);
            var viaUp = store.Sh($"berth cp cp-escape:/deep/er/up{victim}/secret.txt - | tar -xOf -");
            Assert.NotEqual(0, viaUp.ExitCode);
            Assert.DoesNotContain("host secret", viaUp.Stdout);
            Assert.Equal(id[..12] + "\n", store.Sh("berth cp cp-escape:/deep/er/up/etc/hostname - | tar -xOf -").Ok().Stdout);
            // Copied out, the links stay links: nothing is followed.
            string got = HostDir("links");
            store.Berth("cp", "cp-escape:/deep", got).Ok();
            Assert.Equal("../../../../..", new FileInfo(Path.Combine(got, "deep", "er", "up")).LinkTarget);
            Assert.Equal(["er"], Names(Path.Combine(got, "deep")));

            // Writing through them lands inside the container.
            string payload = Path.Combine(HostDir("payload"), "payload.txt");
            File.WriteAllText(payload, "payload;");
            store.Berth("cp", payload, $"cp-escape:/rootlink{victim}/").Ok();
            store.Berth("cp", payload, $"cp-escape:/deep/er/up{victim}/p2.txt").Ok();
            // So does a tar whose own symlinks point at the host's directory, with files under them.
            string tar = Path.Combine(HostDir("tar"), "evil.tar");
            using (var file = File.Create(tar))
            using (var writer = new TarWriter(file, TarEntryFormat.Pax))
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "abs") { LinkName = victim });
                writer.WriteEntry(Text("abs/pwned-abs.txt", "pwned;"));
                writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "rel") { LinkName = "../../../../../.." + victim });
                writer.WriteEntry(Text("rel/pwned-rel.txt", "pwned;"));
                writer.WriteEntry(Text("../../../../../../.." + victim + "/pwned-dotdot.txt", "pwned;"));
            }
            var evil = store.Sh($"berth cp - cp-escape:/tmp < '{tar}'");
            Assert.Equal(1, evil.ExitCode);   // the ".." entry is refused, after the others landed in the container
            Assert.Contains("is outside of", evil.Stderr);
            Assert.Equal(["secret.txt"], Names(victim));
            Assert.Equal("payload;payload;pwned;pwned;", store.Berth("exec", "cp-escape", "sh", "-c",
                $"cat {victim}/payload.txt {victim}/p2.txt {victim}/pwned-abs.txt {victim}/pwned-rel.txt").Ok().Stdout);

            // The same for a stopped container, whose root is a temporary mount.
            store.Berth("stop", "-t", "0", "cp-escape").Ok();
            store.Berth("cp", payload, $"cp-escape:/deep/er/up{victim}/p3.txt").Ok();
            Assert.Equal("payload;", store.Sh($"berth cp cp-escape:/rootlink{victim}/p3.txt - | tar -xOf -").Ok().Stdout);
            Assert.Equal(1, store.Berth("cp", $"cp-escape:/rootlink{victim}/secret.txt", HostDir("got2")).ExitCode);
            Assert.Equal(["secret.txt"], Names(victim));
            Assert.Equal("host secret\n", File.ReadAllText(Path.Combine(victim, "secret.txt")));
        }
        finally { store.Berth("rm", "-f", "cp-escape").Ok(); }
    }

    [Fact]
    public void OwnersComeFromTheArchiveOrWithArchiveModeFromTheContainersUser()
    {
        string host = HostDir("owners");
        string file = Path.Combine(host, "owned.txt");
        File.WriteAllText(file, "x");
        Assert.Equal(0, global::Berth.Linux.Libc.chown(file, 4321, 4322));
        store.Berth("create", "--name", "cp-owner", "-u", "1000:1001", "busybox", "true").Ok();
        try
        {
            store.Berth("cp", file, "cp-owner:/tmp/kept.txt").Ok();
            store.Berth("cp", "-a", file, "cp-owner:/tmp/mapped.txt").Ok();
            string Owner(string path) => store.Sh($"berth cp cp-owner:{path} - | tar --numeric-owner -tvf - | awk '{{print $2}}'").Ok().Stdout.Trim();
            Assert.Equal("4321/4322", Owner("/tmp/kept.txt"));
            Assert.Equal("1000/1001", Owner("/tmp/mapped.txt"));
            // Copied out, files belong to the user who copies (root here), not to the container's owner.
            store.Berth("cp", "cp-owner:/tmp/kept.txt", host + "/out.txt").Ok();
            Assert.Equal("0:0", store.Sh($"stat -c %u:%g '{host}/out.txt'").Ok().Stdout.Trim());
        }
        finally { store.Berth("rm", "cp-owner").Ok(); }
    }

    [Fact]
    public void AReadOnlyRootOrVolumeRefusesCopiesIn()
    {
        string file = Path.Combine(HostDir("ro"), "f.txt");
        File.WriteAllText(file, "f");
        store.Berth("create", "--name", "cp-ro", "--read-only", "-v", "cp-ro-vol:/ro:ro", "-v", "cp-rw-vol:/rw", "busybox", "true").Ok();
        try
        {
            var root = store.Berth("cp", file, "cp-ro:/tmp/");
            Assert.Equal(1, root.ExitCode);
            Assert.Equal("Error: container rootfs is marked read-only\n", root.Stderr);
            var volume = store.Berth("cp", file, "cp-ro:/ro/");
            Assert.Equal(1, volume.ExitCode);
            Assert.Equal("Error: mounted volume is marked read-only\n", volume.Stderr);
            store.Berth("cp", file, "cp-ro:/rw/").Ok();
            Assert.True(File.Exists(Path.Combine(store.Root, "volumes", "cp-rw-vol", "_data", "f.txt")));
            Assert.False(File.Exists(Path.Combine(store.Root, "volumes", "cp-ro-vol", "_data", "f.txt")));
            // Reading is allowed.
            Assert.Equal("f", store.Sh("berth cp cp-ro:/rw/f.txt - | tar -xOf -").Ok().Stdout);
        }
        finally
        {
            store.Berth("rm", "-v", "cp-ro").Ok();
            store.Berth("volume", "rm", "cp-ro-vol", "cp-rw-vol").Ok();
        }
    }

    [Fact]
    public void AContainerWithItsOwnUserNamespaceIsCopiedWithItsOwnIds()
    {
        string host = HostDir("userns");
        string file = Path.Combine(host, "in.txt");
        File.WriteAllText(file, "in");
        Assert.Equal(0, global::Berth.Linux.Libc.chown(file, 1234, 1235));
        string id = store.Berth("create", "--name", "cp-userns", "--userns=auto", "busybox", "sh", "-c",
            "ls -n /in.txt | awk '{print $3\":\"$4}'; echo out > /out.txt").Ok().Stdout.Trim();
        try
        {
            // In: the archive's owner is the container's id, stored as its host id.
            store.Berth("cp", file, "cp-userns:/").Ok();
            Assert.Equal("1234:1235\n", store.Berth("start", "-a", "cp-userns").Ok().Stdout);
            string hostIds = store.Sh($"stat -c %u:%g '{store.Root}/containers/{id}/diff/in.txt'").Ok().Stdout.Trim();
            Assert.NotEqual("1234:1235", hostIds);
            // Out: the container's root owns what it wrote, and the image's files are root's too.
            Assert.Equal("0/0", store.Sh("berth cp cp-userns:/out.txt - | tar --numeric-owner -tvf - | awk '{print $2}'").Ok().Stdout.Trim());
            Assert.Equal("0/0", store.Sh("berth cp cp-userns:/etc/passwd - | tar --numeric-owner -tvf - | awk '{print $2}'").Ok().Stdout.Trim());
            // diff compares with the image as the container sees it: only what it wrote.
            Assert.Equal("A /in.txt\nA /out.txt\n", store.Berth("diff", "cp-userns").Ok().Stdout);
        }
        finally { store.Berth("rm", "cp-userns").Ok(); }
    }

    private static PaxTarEntry Text(string name, string text) => new(TarEntryType.RegularFile, name)
    {
        DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)),
        Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    };
}
