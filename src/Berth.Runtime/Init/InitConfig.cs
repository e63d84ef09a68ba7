using System.Text;

namespace Berth.Runtime.Init;

/// <summary>
/// What the runtime tells the init stage besides config.json (which follows as its own message,
/// the bytes of the bundle's file). Sent as "key=value" lines: no JSON serializer to warm up on
/// the start path.
/// </summary>
public sealed class InitConfig
{
    public string Rootfs { get; set; } = "";
    public string Bundle { get; set; } = "";
    public string Id { get; set; } = "";
    /// <summary>CLONE_NEW* flags of the namespaces that were created (not joined).</summary>
    public ulong NewNamespaces { get; set; }
    public int FifoFd { get; set; } = -1;
    public int ConsoleFd { get; set; } = -1;
    public bool NoPivot { get; set; }
    /// <summary>--preserve-fds: the fds 3 … 3+N-1 the container's program receives.</summary>
    public int PreserveFds { get; set; }
    /// <summary>Where each cgroup hierarchy of the container lives on the host, for the cgroup mount.</summary>
    public List<CgroupMountSource> CgroupMounts { get; set; } = [];

    public string Serialize()
    {
        var sb = new StringBuilder();
        void Line(string key, string value)
        {
            if (value.Contains('\n')) throw new RuntimeException($"{key}: a newline in \"{value}\" is not supported");
            sb.Append(key).Append('=').Append(value).Append('\n');
        }
        Line("rootfs", Rootfs);
        Line("bundle", Bundle);
        Line("id", Id);
        Line("newNamespaces", NewNamespaces.ToString());
        Line("fifoFd", FifoFd.ToString());
        Line("consoleFd", ConsoleFd.ToString());
        Line("noPivot", NoPivot ? "1" : "0");
        Line("preserveFds", PreserveFds.ToString());
        foreach (var m in CgroupMounts) Line("cgroup", $"{(m.V2 ? "2" : "1")}\t{m.Name}\t{m.HostPath}");
        return sb.ToString();
    }

    public static InitConfig Parse(string text)
    {
        var c = new InitConfig();
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = line.IndexOf('=');
            if (eq < 0) throw new InvalidDataException($"init config: bad line \"{line}\"");
            string key = line[..eq], value = line[(eq + 1)..];
            switch (key)
            {
                case "rootfs": c.Rootfs = value; break;
                case "bundle": c.Bundle = value; break;
                case "id": c.Id = value; break;
                case "newNamespaces": c.NewNamespaces = ulong.Parse(value); break;
                case "fifoFd": c.FifoFd = int.Parse(value); break;
                case "consoleFd": c.ConsoleFd = int.Parse(value); break;
                case "noPivot": c.NoPivot = value == "1"; break;
                case "preserveFds": c.PreserveFds = int.Parse(value); break;
                case "cgroup":
                    string[] f = value.Split('\t', 3);
                    c.CgroupMounts.Add(new CgroupMountSource { V2 = f[0] == "2", Name = f[1], HostPath = f[2] });
                    break;
                default: throw new InvalidDataException($"init config: unknown key \"{key}\"");
            }
        }
        return c;
    }
}

public sealed class CgroupMountSource
{
    /// <summary>The hierarchy's directory name under /sys/fs/cgroup ("memory", "cpu,cpuacct", "unified"; "" for a v2-only host).</summary>
    public string Name { get; set; } = "";
    /// <summary>The host directory of the container's cgroup in that hierarchy.</summary>
    public string HostPath { get; set; } = "";
    public bool V2 { get; set; }
}
