using System.Text.Json;
using Berth.Images.References;
using Berth.Linux;

namespace Berth.Images.Store;

/// <summary>
/// The list of stored images and their names, in one small JSON file (<c>images.json</c>). Readers
/// take it without a lock: writers replace it by atomic rename, under <c>images.lock</c>, so a
/// reader sees the old list or the new one, and a killed writer leaves the old one.
/// </summary>
public sealed class ImageIndex(string root)
{
    private readonly string _file = Path.Combine(root, "images.json");
    private readonly string _lock = Path.Combine(root, "images.lock");

    public ImageList Load()
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(_file); }
        catch (FileNotFoundException) { return new ImageList(); }
        try { return JsonSerializer.Deserialize(bytes, StoreJsonContext.Default.ImageList) ?? new ImageList(); }
        catch (JsonException e) { throw new InvalidDataException($"image index {_file} is corrupt: {e.Message}"); }
    }

    /// <summary>Changes the list under the lock: <paramref name="change"/> gets the current list and edits it in place.</summary>
    public T Update<T>(Func<ImageList, T> change)
    {
        using var held = FileLock.Acquire(_lock);
        var list = Load();
        T result = change(list);
        RawFile.WriteAtomic(_file, JsonSerializer.SerializeToUtf8Bytes(list, StoreJsonContext.Default.ImageList));
        return result;
    }

    /// <summary>
    /// Finds an image as docker does: a full or short id ("sha256:abc…", "abc…" with at least one
    /// hex digit, unique), a name with or without tag, or a name@digest.
    /// </summary>
    public static ImageRecord? Find(ImageList list, string nameOrId)
    {
        bool prefixed = nameOrId.StartsWith("sha256:", StringComparison.Ordinal);
        string hex = prefixed ? nameOrId[7..] : nameOrId;
        bool isHex = hex.Length is > 0 and <= 64 && hex.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
        // A name first (a repository may be called "abc"), unless it is clearly an id.
        if (!prefixed && hex.Length != 64 && FindByName(list, nameOrId) is { } byName) return byName;
        if (!isHex) return null;
        var byId = list.Images.Where(i => i.Id.AsSpan(7).StartsWith(hex, StringComparison.Ordinal)).Take(2).ToList();
        if (byId.Count > 1) throw new InvalidOperationException($"ambiguous image id prefix \"{nameOrId}\": it matches more than one image");
        return byId.FirstOrDefault();
    }

    private static ImageRecord? FindByName(ImageList list, string name)
    {
        if (!ImageReference.TryParse(name, out var reference, out _)) return null;
        if (reference.Digest is { } digest)
        {
            string want = reference.Repository + "@" + digest;
            return list.Images.FirstOrDefault(i => i.RepoDigests.Contains(want))
                ?? (reference.Tag is null ? null : list.Images.FirstOrDefault(i => i.RepoTags.Contains(reference.TaggedName)));
        }
        string tagged = reference.WithDefaultTag().TaggedName;
        return list.Images.FirstOrDefault(i => i.RepoTags.Contains(tagged));
    }

    /// <summary>Moves <paramref name="tag"/> (repository:tag) to <paramref name="image"/>, taking it from any other image.</summary>
    public static void SetTag(ImageList list, ImageRecord image, string tag, DateTimeOffset now)
    {
        for (int i = 0; i < list.Images.Count; i++)
        {
            var other = list.Images[i];
            if (other.Id != image.Id && other.RepoTags.Contains(tag))
                list.Images[i] = other with { RepoTags = other.RepoTags.Where(t => t != tag).ToArray() };
        }
        int at = list.Images.FindIndex(i => i.Id == image.Id);
        var current = at >= 0 ? list.Images[at] : image;
        var updated = current with
        {
            RepoTags = current.RepoTags.Contains(tag) ? current.RepoTags : [.. current.RepoTags, tag],
            LastTagTime = now,
        };
        if (at >= 0) list.Images[at] = updated; else list.Images.Add(updated);
    }
}
