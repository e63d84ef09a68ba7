using System.Text;
using System.Text.Json;

namespace Berth.Oci;

/// <summary>
/// Reads config.json, process.json and the <c>update</c> resources document with one hand-written
/// <see cref="Utf8JsonReader"/> pass.
/// </summary>
/// <remarks>
/// <para>Why not <see cref="OciJsonContext"/>: in NativeAOT the serializer's first call builds its
/// metadata for every reachable type (~4.5 ms cold for runc's default config.json, against ~0.2 ms
/// for this reader; both ~0.035 ms warm), and container start parses config.json in two processes.
/// Serialization and the other documents keep using the source-generated context.</para>
/// <para>Contract: for every document, the result is the object graph
/// <c>JsonSerializer.Deserialize(json, OciJsonContext.Default.Spec)</c> builds, or a
/// <see cref="SpecException"/> where it throws. So, as the serializer does with OciJsonContext's
/// options: comments are skipped, trailing commas allowed, property names are matched exactly (after
/// unescaping), unknown properties are skipped, a repeated property replaces the earlier value, JSON
/// null stores null in any reference or Nullable property (also where the model's annotation says
/// non-null, e.g. <see cref="Spec.OciVersion"/>, a <c>List&lt;string&gt;</c> item: the serializer does
/// not enforce annotations and neither do we; <see cref="SpecValidator"/> rejects what matters), null
/// for a bool or integer is an error, numbers must fit the property's type exactly (no fractions, no
/// exponents, no strings), and a string is only ever read from a JSON string. Nesting deeper than 64
/// is rejected by the reader, as by the serializer.</para>
/// <para>Errors read <c>"{what}: invalid JSON at {path}: {reason}"</c>, the path in the serializer's
/// style (<c>$.process.args[0]</c>, <c>$.annotations['a.b']</c>), like <see cref="OciJson.Parse{T}"/>.
/// SpecReaderTests compares both on a document setting every property and on thousands of mutations.</para>
/// </remarks>
public static class SpecReader
{
    /// <summary>A bundle's config.json.</summary>
    public static Spec ReadSpec(ReadOnlySpan<byte> json) => ReadDocument(json, "config.json", ReadSpec);

    /// <summary>The process document of <c>exec --process</c>.</summary>
    public static Process ReadProcess(ReadOnlySpan<byte> json) => ReadDocument(json, "process.json", ReadProcess);

    /// <summary>The resources document of <c>update -r</c>.</summary>
    public static LinuxResources ReadResources(ReadOnlySpan<byte> json) => ReadDocument(json, "resources", ReadResources);

    // The options OciJsonContext gives its reader. MaxDepth 0 means the default, 64.
    private static readonly JsonReaderOptions s_options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads one value; the cursor is on its first token and is left on its last.</summary>
    private delegate T ValueReader<T>(ref Cursor c);

    private static T ReadDocument<T>(ReadOnlySpan<byte> json, string what, ValueReader<T?> readRoot) where T : class
    {
        var c = new Cursor(json, what);
        try
        {
            c.ReadRoot();
            T value = readRoot(ref c) ?? throw new SpecException($"{what}: document is null");
            c.ReadEnd();
            return value;
        }
        catch (JsonException e)
        {
            // Malformed or truncated JSON, from the reader (or JsonElement.ParseValue).
            throw c.Fail(FirstSentence(e.Message));
        }
        catch (InvalidOperationException e)
        {
            // GetString on a string that is not valid UTF-8 or holds a lone \uD800-style surrogate
            // (or CopyString on the latter): the reader only checks that when it transcodes. Our own
            // code never throws this (token types are checked before every Get call).
            throw c.Fail(FirstSentence(e.Message));
        }
    }

    // The reader's messages go on with "LineNumber: 0 | BytePositionInLine: 7." or a second
    // sentence; the path says where.
    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(". ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }

    // ---- The documents: one method per type of Spec.cs, each returning null for JSON null. ----

    private static Spec? ReadSpec(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var spec = new Spec();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "ociVersion": spec.OciVersion = ReadString(ref c)!; break;
                case "process": spec.Process = ReadProcess(ref c); break;
                case "root": spec.Root = ReadRoot(ref c); break;
                case "hostname": spec.Hostname = ReadString(ref c); break;
                case "domainname": spec.Domainname = ReadString(ref c); break;
                case "mounts": spec.Mounts = ReadList(ref c, ReadMount); break;
                case "hooks": spec.Hooks = ReadHooks(ref c); break;
                case "annotations": spec.Annotations = ReadDictionary(ref c, ReadString); break;
                case "linux": spec.Linux = ReadLinux(ref c); break;
                default: c.Skip(); break;
            }
        }
        return spec;
    }

    private static Process? ReadProcess(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var process = new Process();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "terminal": process.Terminal = ReadBool(ref c); break;
                case "consoleSize": process.ConsoleSize = ReadConsoleSize(ref c); break;
                case "user": process.User = ReadUser(ref c)!; break;
                case "args": process.Args = ReadList(ref c, ReadString); break;
                case "commandLine": process.CommandLine = ReadString(ref c); break;
                case "env": process.Env = ReadList(ref c, ReadString); break;
                case "cwd": process.Cwd = ReadString(ref c)!; break;
                case "capabilities": process.Capabilities = ReadCapabilities(ref c); break;
                case "rlimits": process.Rlimits = ReadList(ref c, ReadRlimit); break;
                case "noNewPrivileges": process.NoNewPrivileges = ReadBool(ref c); break;
                case "apparmorProfile": process.ApparmorProfile = ReadString(ref c); break;
                case "oomScoreAdj": process.OomScoreAdj = ReadNullableInt32(ref c); break;
                case "selinuxLabel": process.SelinuxLabel = ReadString(ref c); break;
                case "ioPriority": process.IoPriority = ReadIoPriority(ref c); break;
                case "scheduler": process.Scheduler = ReadScheduler(ref c); break;
                case "execCPUAffinity": process.ExecCpuAffinity = ReadCpuAffinity(ref c); break;
                default: c.Skip(); break;
            }
        }
        return process;
    }

    private static ConsoleSize? ReadConsoleSize(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var size = new ConsoleSize();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "height": size.Height = ReadUInt32(ref c); break;
                case "width": size.Width = ReadUInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return size;
    }

    private static User? ReadUser(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var user = new User();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "uid": user.Uid = ReadUInt32(ref c); break;
                case "gid": user.Gid = ReadUInt32(ref c); break;
                case "umask": user.Umask = ReadNullableUInt32(ref c); break;
                case "additionalGids": user.AdditionalGids = ReadUInt32List(ref c); break;
                case "username": user.Username = ReadString(ref c); break;
                default: c.Skip(); break;
            }
        }
        return user;
    }

    private static LinuxCapabilities? ReadCapabilities(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var caps = new LinuxCapabilities();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "bounding": caps.Bounding = ReadList(ref c, ReadString); break;
                case "effective": caps.Effective = ReadList(ref c, ReadString); break;
                case "inheritable": caps.Inheritable = ReadList(ref c, ReadString); break;
                case "permitted": caps.Permitted = ReadList(ref c, ReadString); break;
                case "ambient": caps.Ambient = ReadList(ref c, ReadString); break;
                default: c.Skip(); break;
            }
        }
        return caps;
    }

    private static PosixRlimit? ReadRlimit(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var rlimit = new PosixRlimit();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "type": rlimit.Type = ReadString(ref c)!; break;
                case "hard": rlimit.Hard = ReadUInt64(ref c); break;
                case "soft": rlimit.Soft = ReadUInt64(ref c); break;
                default: c.Skip(); break;
            }
        }
        return rlimit;
    }

    private static LinuxIoPriority? ReadIoPriority(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var io = new LinuxIoPriority();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "class": io.Class = ReadString(ref c)!; break;
                case "priority": io.Priority = ReadInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return io;
    }

    private static LinuxScheduler? ReadScheduler(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var scheduler = new LinuxScheduler();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "policy": scheduler.Policy = ReadString(ref c)!; break;
                case "nice": scheduler.Nice = ReadInt32(ref c); break;
                case "priority": scheduler.Priority = ReadInt32(ref c); break;
                case "flags": scheduler.Flags = ReadList(ref c, ReadString); break;
                case "runtime": scheduler.Runtime = ReadUInt64(ref c); break;
                case "deadline": scheduler.Deadline = ReadUInt64(ref c); break;
                case "period": scheduler.Period = ReadUInt64(ref c); break;
                default: c.Skip(); break;
            }
        }
        return scheduler;
    }

    private static CpuAffinity? ReadCpuAffinity(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var affinity = new CpuAffinity();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "initial": affinity.Initial = ReadString(ref c); break;
                case "final": affinity.Final = ReadString(ref c); break;
                default: c.Skip(); break;
            }
        }
        return affinity;
    }

    private static Root? ReadRoot(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var root = new Root();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "path": root.Path = ReadString(ref c)!; break;
                case "readonly": root.Readonly = ReadBool(ref c); break;
                default: c.Skip(); break;
            }
        }
        return root;
    }

    private static Mount? ReadMount(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var mount = new Mount();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "destination": mount.Destination = ReadString(ref c)!; break;
                case "type": mount.Type = ReadString(ref c); break;
                case "source": mount.Source = ReadString(ref c); break;
                case "options": mount.Options = ReadList(ref c, ReadString); break;
                case "uidMappings": mount.UidMappings = ReadList(ref c, ReadIdMapping); break;
                case "gidMappings": mount.GidMappings = ReadList(ref c, ReadIdMapping); break;
                default: c.Skip(); break;
            }
        }
        return mount;
    }

    private static Hooks? ReadHooks(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var hooks = new Hooks();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "prestart": hooks.Prestart = ReadList(ref c, ReadHook); break;
                case "createRuntime": hooks.CreateRuntime = ReadList(ref c, ReadHook); break;
                case "createContainer": hooks.CreateContainer = ReadList(ref c, ReadHook); break;
                case "startContainer": hooks.StartContainer = ReadList(ref c, ReadHook); break;
                case "poststart": hooks.Poststart = ReadList(ref c, ReadHook); break;
                case "poststop": hooks.Poststop = ReadList(ref c, ReadHook); break;
                default: c.Skip(); break;
            }
        }
        return hooks;
    }

    private static Hook? ReadHook(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var hook = new Hook();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "path": hook.Path = ReadString(ref c)!; break;
                case "args": hook.Args = ReadList(ref c, ReadString); break;
                case "env": hook.Env = ReadList(ref c, ReadString); break;
                case "timeout": hook.Timeout = ReadNullableInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return hook;
    }

    private static Linux? ReadLinux(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var linux = new Linux();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "namespaces": linux.Namespaces = ReadList(ref c, ReadNamespace); break;
                case "uidMappings": linux.UidMappings = ReadList(ref c, ReadIdMapping); break;
                case "gidMappings": linux.GidMappings = ReadList(ref c, ReadIdMapping); break;
                case "timeOffsets": linux.TimeOffsets = ReadDictionary(ref c, ReadTimeOffset); break;
                case "devices": linux.Devices = ReadList(ref c, ReadDevice); break;
                case "cgroupsPath": linux.CgroupsPath = ReadString(ref c); break;
                case "resources": linux.Resources = ReadResources(ref c); break;
                case "rootfsPropagation": linux.RootfsPropagation = ReadString(ref c); break;
                case "seccomp": linux.Seccomp = ReadSeccomp(ref c); break;
                case "sysctl": linux.Sysctl = ReadDictionary(ref c, ReadString); break;
                case "maskedPaths": linux.MaskedPaths = ReadList(ref c, ReadString); break;
                case "readonlyPaths": linux.ReadonlyPaths = ReadList(ref c, ReadString); break;
                case "mountLabel": linux.MountLabel = ReadString(ref c); break;
                case "intelRdt": linux.IntelRdt = ReadElement(ref c); break;
                case "personality": linux.Personality = ReadPersonality(ref c); break;
                default: c.Skip(); break;
            }
        }
        return linux;
    }

    private static LinuxNamespace? ReadNamespace(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var ns = new LinuxNamespace();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "type": ns.Type = ReadString(ref c)!; break;
                case "path": ns.Path = ReadString(ref c); break;
                default: c.Skip(); break;
            }
        }
        return ns;
    }

    private static LinuxIdMapping? ReadIdMapping(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var mapping = new LinuxIdMapping();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "containerID": mapping.ContainerId = ReadUInt32(ref c); break;
                case "hostID": mapping.HostId = ReadUInt32(ref c); break;
                case "size": mapping.Size = ReadUInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return mapping;
    }

    private static LinuxTimeOffset? ReadTimeOffset(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var offset = new LinuxTimeOffset();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "secs": offset.Secs = ReadInt64(ref c); break;
                case "nanosecs": offset.Nanosecs = ReadUInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return offset;
    }

    private static LinuxDevice? ReadDevice(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var device = new LinuxDevice();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "path": device.Path = ReadString(ref c)!; break;
                case "type": device.Type = ReadString(ref c)!; break;
                case "major": device.Major = ReadInt64(ref c); break;
                case "minor": device.Minor = ReadInt64(ref c); break;
                case "fileMode": device.FileMode = ReadNullableUInt32(ref c); break;
                case "uid": device.Uid = ReadNullableUInt32(ref c); break;
                case "gid": device.Gid = ReadNullableUInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return device;
    }

    private static LinuxPersonality? ReadPersonality(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var personality = new LinuxPersonality();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "domain": personality.Domain = ReadString(ref c)!; break;
                case "flags": personality.Flags = ReadList(ref c, ReadString); break;
                default: c.Skip(); break;
            }
        }
        return personality;
    }

    private static LinuxResources? ReadResources(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var resources = new LinuxResources();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "devices": resources.Devices = ReadList(ref c, ReadDeviceCgroup); break;
                case "memory": resources.Memory = ReadMemory(ref c); break;
                case "cpu": resources.Cpu = ReadCpu(ref c); break;
                case "pids": resources.Pids = ReadPids(ref c); break;
                case "blockIO": resources.BlockIo = ReadBlockIo(ref c); break;
                case "hugepageLimits": resources.HugepageLimits = ReadList(ref c, ReadHugepageLimit); break;
                case "network": resources.Network = ReadNetwork(ref c); break;
                case "rdma": resources.Rdma = ReadDictionary(ref c, ReadRdma); break;
                case "unified": resources.Unified = ReadDictionary(ref c, ReadString); break;
                default: c.Skip(); break;
            }
        }
        return resources;
    }

    private static LinuxDeviceCgroup? ReadDeviceCgroup(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var rule = new LinuxDeviceCgroup();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "allow": rule.Allow = ReadBool(ref c); break;
                case "type": rule.Type = ReadString(ref c); break;
                case "major": rule.Major = ReadNullableInt64(ref c); break;
                case "minor": rule.Minor = ReadNullableInt64(ref c); break;
                case "access": rule.Access = ReadString(ref c); break;
                default: c.Skip(); break;
            }
        }
        return rule;
    }

    private static LinuxMemory? ReadMemory(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var memory = new LinuxMemory();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "limit": memory.Limit = ReadNullableInt64(ref c); break;
                case "reservation": memory.Reservation = ReadNullableInt64(ref c); break;
                case "swap": memory.Swap = ReadNullableInt64(ref c); break;
                case "kernel": memory.Kernel = ReadNullableInt64(ref c); break;
                case "kernelTCP": memory.KernelTcp = ReadNullableInt64(ref c); break;
                case "swappiness": memory.Swappiness = ReadNullableUInt64(ref c); break;
                case "disableOOMKiller": memory.DisableOomKiller = ReadNullableBool(ref c); break;
                case "useHierarchy": memory.UseHierarchy = ReadNullableBool(ref c); break;
                case "checkBeforeUpdate": memory.CheckBeforeUpdate = ReadNullableBool(ref c); break;
                default: c.Skip(); break;
            }
        }
        return memory;
    }

    private static LinuxCpu? ReadCpu(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var cpu = new LinuxCpu();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "shares": cpu.Shares = ReadNullableUInt64(ref c); break;
                case "quota": cpu.Quota = ReadNullableInt64(ref c); break;
                case "burst": cpu.Burst = ReadNullableUInt64(ref c); break;
                case "period": cpu.Period = ReadNullableUInt64(ref c); break;
                case "realtimeRuntime": cpu.RealtimeRuntime = ReadNullableInt64(ref c); break;
                case "realtimePeriod": cpu.RealtimePeriod = ReadNullableUInt64(ref c); break;
                case "cpus": cpu.Cpus = ReadString(ref c); break;
                case "mems": cpu.Mems = ReadString(ref c); break;
                case "idle": cpu.Idle = ReadNullableInt64(ref c); break;
                default: c.Skip(); break;
            }
        }
        return cpu;
    }

    private static LinuxPids? ReadPids(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var pids = new LinuxPids();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "limit": pids.Limit = ReadInt64(ref c); break;
                default: c.Skip(); break;
            }
        }
        return pids;
    }

    private static LinuxBlockIo? ReadBlockIo(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var blockIo = new LinuxBlockIo();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "weight": blockIo.Weight = ReadNullableUInt16(ref c); break;
                case "leafWeight": blockIo.LeafWeight = ReadNullableUInt16(ref c); break;
                case "weightDevice": blockIo.WeightDevice = ReadList(ref c, ReadWeightDevice); break;
                case "throttleReadBpsDevice": blockIo.ThrottleReadBpsDevice = ReadList(ref c, ReadThrottleDevice); break;
                case "throttleWriteBpsDevice": blockIo.ThrottleWriteBpsDevice = ReadList(ref c, ReadThrottleDevice); break;
                case "throttleReadIOPSDevice": blockIo.ThrottleReadIopsDevice = ReadList(ref c, ReadThrottleDevice); break;
                case "throttleWriteIOPSDevice": blockIo.ThrottleWriteIopsDevice = ReadList(ref c, ReadThrottleDevice); break;
                default: c.Skip(); break;
            }
        }
        return blockIo;
    }

    private static LinuxWeightDevice? ReadWeightDevice(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var device = new LinuxWeightDevice();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "major": device.Major = ReadInt64(ref c); break;
                case "minor": device.Minor = ReadInt64(ref c); break;
                case "weight": device.Weight = ReadNullableUInt16(ref c); break;
                case "leafWeight": device.LeafWeight = ReadNullableUInt16(ref c); break;
                default: c.Skip(); break;
            }
        }
        return device;
    }

    private static LinuxThrottleDevice? ReadThrottleDevice(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var device = new LinuxThrottleDevice();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "major": device.Major = ReadInt64(ref c); break;
                case "minor": device.Minor = ReadInt64(ref c); break;
                case "rate": device.Rate = ReadUInt64(ref c); break;
                default: c.Skip(); break;
            }
        }
        return device;
    }

    private static LinuxHugepageLimit? ReadHugepageLimit(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var limit = new LinuxHugepageLimit();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "pageSize": limit.PageSize = ReadString(ref c)!; break;
                case "limit": limit.Limit = ReadUInt64(ref c); break;
                default: c.Skip(); break;
            }
        }
        return limit;
    }

    private static LinuxNetwork? ReadNetwork(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var network = new LinuxNetwork();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "classID": network.ClassId = ReadNullableUInt32(ref c); break;
                case "priorities": network.Priorities = ReadList(ref c, ReadInterfacePriority); break;
                default: c.Skip(); break;
            }
        }
        return network;
    }

    private static LinuxInterfacePriority? ReadInterfacePriority(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var priority = new LinuxInterfacePriority();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "name": priority.Name = ReadString(ref c)!; break;
                case "priority": priority.Priority = ReadUInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return priority;
    }

    private static LinuxRdma? ReadRdma(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var rdma = new LinuxRdma();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "hcaHandles": rdma.HcaHandles = ReadNullableUInt32(ref c); break;
                case "hcaObjects": rdma.HcaObjects = ReadNullableUInt32(ref c); break;
                default: c.Skip(); break;
            }
        }
        return rdma;
    }

    private static LinuxSeccomp? ReadSeccomp(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var seccomp = new LinuxSeccomp();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "defaultAction": seccomp.DefaultAction = ReadString(ref c)!; break;
                case "defaultErrnoRet": seccomp.DefaultErrnoRet = ReadNullableUInt32(ref c); break;
                case "architectures": seccomp.Architectures = ReadList(ref c, ReadString); break;
                case "flags": seccomp.Flags = ReadList(ref c, ReadString); break;
                case "listenerPath": seccomp.ListenerPath = ReadString(ref c); break;
                case "listenerMetadata": seccomp.ListenerMetadata = ReadString(ref c); break;
                case "syscalls": seccomp.Syscalls = ReadList(ref c, ReadSyscall); break;
                default: c.Skip(); break;
            }
        }
        return seccomp;
    }

    private static LinuxSyscall? ReadSyscall(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var syscall = new LinuxSyscall();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "names": syscall.Names = ReadList(ref c, ReadString)!; break;
                case "action": syscall.Action = ReadString(ref c)!; break;
                case "errnoRet": syscall.ErrnoRet = ReadNullableUInt32(ref c); break;
                case "args": syscall.Args = ReadList(ref c, ReadSeccompArg); break;
                default: c.Skip(); break;
            }
        }
        return syscall;
    }

    private static LinuxSeccompArg? ReadSeccompArg(ref Cursor c)
    {
        if (!c.BeginObject()) return null;
        var arg = new LinuxSeccompArg();
        while (c.NextProperty(out string name))
        {
            switch (name)
            {
                case "index": arg.Index = ReadUInt32(ref c); break;
                case "value": arg.Value = ReadUInt64(ref c); break;
                case "valueTwo": arg.ValueTwo = ReadUInt64(ref c); break;
                case "op": arg.Op = ReadString(ref c)!; break;
                default: c.Skip(); break;
            }
        }
        return arg;
    }

    // ---- Collections ----

    // A null item is kept as null, as the serializer does (List<Hook> can hold null from "[null]").
    private static List<T>? ReadList<T>(ref Cursor c, ValueReader<T?> readItem) where T : class
    {
        if (!c.BeginArray()) return null;
        var list = new List<T>();
        while (c.NextElement()) list.Add(readItem(ref c)!);
        return list;
    }

    // The one list of a value type; null items are an error here.
    private static List<uint>? ReadUInt32List(ref Cursor c)
    {
        if (!c.BeginArray()) return null;
        var list = new List<uint>();
        while (c.NextElement()) list.Add(ReadUInt32(ref c));
        return list;
    }

    // A repeated key replaces the value and keeps the first position, as the serializer's indexer
    // assignment does.
    private static Dictionary<string, T>? ReadDictionary<T>(ref Cursor c, ValueReader<T?> readValue) where T : class
    {
        if (!c.BeginObject()) return null;
        var map = new Dictionary<string, T>();
        while (c.NextKey(out string key)) map[key] = readValue(ref c)!;
        return map;
    }

    // ---- Scalars: the Utf8JsonReader.TryGet* calls the serializer's own converters make ----

    private static string? ReadString(ref Cursor c) => c.Json.TokenType switch
    {
        JsonTokenType.String => c.Json.GetString(),
        JsonTokenType.Null => null,
        _ => throw c.Expected("a string"),
    };

    private static bool ReadBool(ref Cursor c) => c.Json.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw c.Expected("true or false"),
    };

    private static bool? ReadNullableBool(ref Cursor c) => c.IsNull ? null : ReadBool(ref c);

    private static int ReadInt32(ref Cursor c)
    {
        c.ExpectNumber("a 32-bit integer");
        return c.Json.TryGetInt32(out int value) ? value : throw c.Expected("a 32-bit integer");
    }

    private static int? ReadNullableInt32(ref Cursor c) => c.IsNull ? null : ReadInt32(ref c);

    private static uint ReadUInt32(ref Cursor c)
    {
        c.ExpectNumber("an unsigned 32-bit integer");
        return c.Json.TryGetUInt32(out uint value) ? value : throw c.Expected("an unsigned 32-bit integer");
    }

    private static uint? ReadNullableUInt32(ref Cursor c) => c.IsNull ? null : ReadUInt32(ref c);

    private static long ReadInt64(ref Cursor c)
    {
        c.ExpectNumber("a 64-bit integer");
        return c.Json.TryGetInt64(out long value) ? value : throw c.Expected("a 64-bit integer");
    }

    private static long? ReadNullableInt64(ref Cursor c) => c.IsNull ? null : ReadInt64(ref c);

    private static ulong ReadUInt64(ref Cursor c)
    {
        c.ExpectNumber("an unsigned 64-bit integer");
        return c.Json.TryGetUInt64(out ulong value) ? value : throw c.Expected("an unsigned 64-bit integer");
    }

    private static ulong? ReadNullableUInt64(ref Cursor c) => c.IsNull ? null : ReadUInt64(ref c);

    private static ushort? ReadNullableUInt16(ref Cursor c)
    {
        if (c.IsNull) return null;
        c.ExpectNumber("an unsigned 16-bit integer");
        return c.Json.TryGetUInt16(out ushort value) ? value : throw c.Expected("an unsigned 16-bit integer");
    }

    // Linux.IntelRdt is kept as raw JSON; JSON null is no element, as for the serializer's JsonElement?.
    private static JsonElement? ReadElement(ref Cursor c) => c.IsNull ? null : JsonElement.ParseValue(ref c.Json);

    /// <summary>
    /// The reader plus the path to the current value, kept only to name it in errors: one frame per
    /// open object (the property being read) or array (the item index).
    /// </summary>
    private ref struct Cursor
    {
        public Utf8JsonReader Json;
        private readonly string _what;
        private Frame[] _frames = new Frame[16];
        private int _depth;

        public Cursor(ReadOnlySpan<byte> json, string what)
        {
            Json = new Utf8JsonReader(json, s_options);
            _what = what;
        }

        public readonly bool IsNull => Json.TokenType == JsonTokenType.Null;

        // The first token; an empty document makes the reader throw.
        public void ReadRoot() => Read();

        // The reader itself rejects anything but comments and whitespace after the root value.
        public void ReadEnd()
        {
            if (Json.Read()) throw Fail("unexpected data after the document");
        }

        /// <summary>On a value that must be an object or null: false for null, else enters the object.</summary>
        public bool BeginObject()
        {
            if (IsNull) return false;
            if (Json.TokenType != JsonTokenType.StartObject) throw Expected("an object");
            Push(isArray: false);
            return true;
        }

        /// <summary>Moves to the next property's value, or leaves the object on its end.</summary>
        public bool NextProperty(out string name) => Next(out name, isKey: false);

        /// <summary>The same for a dictionary, whose keys must be valid strings.</summary>
        public bool NextKey(out string key) => Next(out key, isKey: true);

        private bool Next(out string name, bool isKey)
        {
            // Until the name is read, errors (a malformed name) belong to the object itself.
            _frames[_depth - 1].Name = null;
            Read();
            if (Json.TokenType == JsonTokenType.EndObject)
            {
                _depth--;
                name = "";
                return false;
            }
            name = isKey ? Json.GetString()! : PropertyName();
            _frames[_depth - 1].Name = name;
            Read();
            return true;
        }

        // The serializer matches a model property by its unescaped UTF-8 bytes ("oci\u0056ersion" is
        // ociVersion), so a name that is not valid UTF-8 is merely unknown, not an error: decode it
        // leniently (U+FFFD never matches). An escaped lone surrogate throws in CopyString, as there.
        private string PropertyName()
        {
            ReadOnlySpan<byte> raw = Json.ValueSpan;    // one span: the input is never a sequence
            if (!Json.ValueIsEscaped) return Encoding.UTF8.GetString(raw);
            byte[] unescaped = new byte[raw.Length];    // unescaping only shortens
            int length = Json.CopyString(unescaped);
            return Encoding.UTF8.GetString(unescaped, 0, length);
        }

        /// <summary>On a value that must be an array or null: false for null, else enters the array.</summary>
        public bool BeginArray()
        {
            if (IsNull) return false;
            if (Json.TokenType != JsonTokenType.StartArray) throw Expected("an array");
            Push(isArray: true);
            return true;
        }

        /// <summary>Moves to the next item, or leaves the array on its end.</summary>
        public bool NextElement()
        {
            _frames[_depth - 1].Index++;
            Read();
            if (Json.TokenType == JsonTokenType.EndArray)
            {
                _depth--;
                return false;
            }
            return true;
        }

        /// <summary>Skips an unknown property's value, whatever its kind.</summary>
        public void Skip() => Json.Skip();

        public readonly void ExpectNumber(string what)
        {
            if (Json.TokenType != JsonTokenType.Number) throw Expected(what);
        }

        public readonly SpecException Expected(string what) => Fail($"expected {what}, got {Describe()}");

        public readonly SpecException Fail(string reason) => new($"{_what}: invalid JSON at {Path()}: {reason}");

        // With isFinalBlock (the default), Read only returns false after a complete root value, and
        // we only call it inside one; truncated input makes it throw instead.
        private void Read()
        {
            if (!Json.Read()) throw Fail("unexpected end of data");
        }

        private void Push(bool isArray)
        {
            // The reader's MaxDepth (64) bounds the depth; 16 covers the documents in practice.
            if (_depth == _frames.Length) Array.Resize(ref _frames, _depth * 2);
            _frames[_depth++] = new Frame { IsArray = isArray, Index = -1 };
        }

        private readonly string Describe() => Json.TokenType switch
        {
            JsonTokenType.Number => Json.ValueSpan.Length <= 40 ? Encoding.UTF8.GetString(Json.ValueSpan) : "a number",
            JsonTokenType.String => "a string",
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => "null",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            var other => other.ToString(),
        };

        // "$.process.args[0]", with ['name'] for names the dotted form would make ambiguous: the
        // serializer's JsonException.Path format, and the same characters it brackets.
        private readonly string Path()
        {
            var path = new StringBuilder("$");
            for (int i = 0; i < _depth; i++)
            {
                Frame f = _frames[i];
                if (f.IsArray)
                {
                    if (f.Index >= 0) path.Append('[').Append(f.Index).Append(']');
                }
                else if (f.Name is not null)
                {
                    if (f.Name.AsSpan().IndexOfAny(BracketedChars) >= 0) path.Append("['").Append(f.Name).Append("']");
                    else path.Append('.').Append(f.Name);
                }
            }
            return path.ToString();
        }

        private const string BracketedChars = " \"'()./[\\]\b\t\n\f\r\u0085\u2028\u2029";

        private struct Frame
        {
            public bool IsArray;
            public string? Name;    // objects: the property being read
            public int Index;       // arrays: the item being read, -1 before the first
        }
    }
}
