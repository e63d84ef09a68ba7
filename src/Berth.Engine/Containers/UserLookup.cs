using Berth.Runtime.Rootfs;

namespace Berth.Engine.Containers;

/// <summary>
/// Config.User ("", "name", "uid", "name:group", "uid:gid") → numeric ids, read from the
/// container's own /etc/passwd and /etc/group (joined to the root without leaving it), with the
/// user's supplementary groups and --group-add, as docker does.
/// </summary>
public static class UserLookup
{
    public static (uint Uid, uint Gid, List<uint> Groups) Resolve(string rootfs, string user, IEnumerable<string>? groupAdd)
    {
        string userPart = user, groupPart = "";
        int colon = user.IndexOf(':');
        if (colon >= 0) { userPart = user[..colon]; groupPart = user[(colon + 1)..]; }
        var passwd = ReadTable(rootfs, "/etc/passwd");
        var groups = ReadTable(rootfs, "/etc/group");

        uint uid = 0, gid = 0;
        string? userName = null;
        if (userPart.Length > 0)
        {
            var entry = passwd.FirstOrDefault(p => p.Length > 3 && (p[0] == userPart || p[2] == userPart));
            if (entry is not null)
            {
                userName = entry[0];
                uid = uint.Parse(entry[2]);
                gid = uint.TryParse(entry[3], out var g) ? g : 0;
            }
            else if (uint.TryParse(userPart, out var numeric)) uid = numeric;
            else throw new ArgumentException($"unable to find user {userPart}: no matching entries in passwd file");
        }
        else
        {
            var rootEntry = passwd.FirstOrDefault(p => p.Length > 3 && p[2] == "0");
            userName = rootEntry?[0];
        }
        if (groupPart.Length > 0) gid = GroupId(groups, groupPart);

        var extra = new List<uint>();
        if (userName is not null)
            foreach (var g in groups)
                if (g.Length > 3 && g[3].Split(',').Contains(userName) && uint.TryParse(g[2], out var id) && id != gid && !extra.Contains(id))
                    extra.Add(id);
        foreach (var g in groupAdd ?? [])
        {
            uint id = GroupId(groups, g);
            if (!extra.Contains(id)) extra.Add(id);
        }
        return (uid, gid, extra);
    }

    private static uint GroupId(List<string[]> groups, string name)
    {
        var entry = groups.FirstOrDefault(g => g.Length > 2 && (g[0] == name || g[2] == name));
        if (entry is not null && uint.TryParse(entry[2], out var id)) return id;
        if (uint.TryParse(name, out var numeric)) return numeric;
        throw new ArgumentException($"unable to find group {name}: no matching entries in group file");
    }

    private static List<string[]> ReadTable(string rootfs, string path)
    {
        string file = SecurePath.Join(rootfs, path);
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists || info.Length > 4 << 20) return [];
            return File.ReadAllLines(file).Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(':')).ToList();
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }
}
