using Berth.Oci;

namespace Berth.IntegrationTests.Harness;

/// <summary>
/// A busybox OCI bundle in a temp folder: rootfs built from the host's static busybox (the
/// busybox-static package), config.json from Berth's default spec with terminal off.
/// </summary>
public sealed class Bundle : IDisposable
{
    public string Dir { get; }
    public string Rootfs => Path.Combine(Dir, "rootfs");
    public Spec Spec { get; }

    public Bundle(params string[] args)
    {
        Dir = Directory.CreateTempSubdirectory("berth-test-").FullName;
        File.SetUnixFileMode(Dir, (UnixFileMode)0b111_101_101); // 0755: a user-namespaced root must reach rootfs
        MakeBusyboxRootfs(Rootfs);
        Spec = DefaultSpec.Create(rootless: false);
        Spec.Process!.Terminal = false;
        Spec.Process.Args = args.Length > 0 ? [.. args] : ["true"];
        Spec.Root!.Path = "rootfs";
    }

    public void Write()
        => File.WriteAllBytes(Path.Combine(Dir, "config.json"), OciJson.Serialize(Spec, OciJsonContext.Default.Spec));

    public static void MakeBusyboxRootfs(string root)
    {
        foreach (string d in new[] { "bin", "proc", "sys", "dev", "tmp", "etc", "root", "run" })
            Directory.CreateDirectory(Path.Combine(root, d));
        File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"), overwrite: true);
        File.SetUnixFileMode(Path.Combine(root, "tmp"), (UnixFileMode)0x3FF | UnixFileMode.StickyBit);
        foreach (string applet in Applets.Value)
        {
            string link = Path.Combine(root, "bin", applet);
            if (!File.Exists(link)) File.CreateSymbolicLink(link, "busybox");
        }
        File.WriteAllText(Path.Combine(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
        File.WriteAllText(Path.Combine(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
    }

    private static readonly Lazy<string[]> Applets = new(() =>
    {
        var list = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/busybox", "--list") { RedirectStandardOutput = true })!;
        string text = list.StandardOutput.ReadToEnd();
        list.WaitForExit();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    });

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
