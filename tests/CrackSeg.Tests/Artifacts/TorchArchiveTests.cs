using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CrackSeg.Artifacts;
using CrackSeg.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static CrackSeg.Tests.Artifacts.ArtifactFixtures;
using static TorchSharp.torch;

namespace CrackSeg.Tests.Artifacts;

/// <summary>The checkpoint file format: torch.save's zip layout written by <see cref="TorchPickle"/> + <see cref="TorchZipArchive"/>.</summary>
public class TorchArchiveTests
{
    [Fact]
    public void Crc32MatchesTheStandardCheckValueAndABitwiseReference()
    {
        Assert.Equal(0xCBF43926u, Crc32.HashToUInt32("123456789"u8));
        var data = new byte[1_000_003];
        new Random(5).NextBytes(data);
        uint whole = Crc32.HashToUInt32(data);
        Assert.Equal(BitwiseCrc32(data), whole);
        foreach (int split in new[] { 7, 12_345 }) // appended in two spans, as the archive does for sliced storages
        {
            var crc = new Crc32();
            crc.Append(data.AsSpan(0, split));
            crc.Append(data.AsSpan(split));
            Assert.Equal(whole, crc.GetCurrentHashAsUInt32());
        }
    }

    /// <summary>
    /// The bytes of a checkpoint of exactly representable tensors, pinned by their SHA-256 (taken from the writer
    /// before its CRC moved to System.IO.Hashing): a change to the pickle, the zip layout or the CRCs shows here.
    /// </summary>
    [Fact]
    public void CheckpointBytesOfFixedTensorsArePinned()
    {
        using var tmp = new TempDir();
        using var scope = NewDisposeScope();
        var state = new Dictionary<string, Tensor>
        {
            ["big"] = arange(0, 300_001, dtype: ScalarType.Float32) / 8, ["small"] = arange(15, dtype: ScalarType.Int64).view(3, 5),
            ["scalar"] = tensor(2.5f),
        };
        var checkpoint = new Checkpoint
        {
            Epoch = 1, GlobalStep = 1, ModelState = state, OptimizerState = new System.Collections.Specialized.OrderedDictionary(),
            ConfigYaml = ConfigText, Seed = 1, History = Records(1),
        };
        string path = Path.Combine(tmp.Path, "pinned.pth");
        CheckpointStore.Save(path, checkpoint);
        Assert.Equal("2E28190EF4A45AECF9620847F420F2ACE934A7C18E2D7518A51BF815960C7A4E", Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))));
    }

    /// <summary>CRC-32 (zip's reflected polynomial 0xEDB88320) one bit at a time: the reference the library is checked against.</summary>
    private static uint BitwiseCrc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    [Fact]
    public void ArchiveHasTorchSavesLayoutStoredAlignedWithTensorBytesVerbatim()
    {
        using var tmp = new TempDir();
        string path = Path.Combine(tmp.Path, "epoch_1.pth");
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        TrainStep(net, opt, 0);
        CheckpointStore.Save(path, CheckpointOf(net, opt, Records(1), 1));

        var state = net.state_dict();
        using (var zip = ZipFile.OpenRead(path))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Equal(["archive/data.pkl", "archive/byteorder"], names.Take(2));
            Assert.Equal("archive/version", names[^1]);
            int storages = names.Count - 3;
            Assert.Equal(Enumerable.Range(0, storages).Select(i => $"archive/data/{i}"), names.Skip(2).Take(storages));
            Assert.True(storages > state.Count, "model and optimizer tensors are all storages");
            Assert.Equal("3\n", Read(zip, "archive/version"));
            Assert.Equal("little", Read(zip, "archive/byteorder"));
            foreach (var entry in zip.Entries)
            {
                Assert.Equal(entry.Length, entry.CompressedLength); // STORED
                using var s = entry.Open();
                var bytes = new byte[entry.Length];
                s.ReadExactly(bytes);
                Assert.Equal(entry.Crc32, BitwiseCrc32(bytes));
            }
            int k = 0;
            foreach (var (name, tensor) in state) // model_state_dict comes first in the pickle, in order
            {
                using var s = zip.GetEntry($"archive/data/{k++}")!.Open();
                var bytes = new byte[tensor.NumberOfElements * tensor.ElementSize];
                s.ReadExactly(bytes);
                Assert.True(bytes.AsSpan().SequenceEqual(tensor.bytes), name);
            }
        }

        // Every record's data starts on a 64-byte boundary (local headers walked from the start).
        var file = File.ReadAllBytes(path);
        int records = 0;
        for (long p = 0; BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)p)) == 0x04034b50; records++)
        {
            Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan((int)p + 8))); // method: stored
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan((int)p + 26));
            int extraLength = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan((int)p + 28));
            long data = p + 30 + nameLength + extraLength;
            Assert.Equal(0, data % 64);
            p = data + BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)p + 22));
        }
        using var again = ZipFile.OpenRead(path);
        Assert.Equal(again.Entries.Count, records);
    }

    [Fact]
    public void Zip64FieldsAndSlicedLargeStoragesReadBackTheSame()
    {
        using var tmp = new TempDir();
        using var scope = NewDisposeScope();
        manual_seed(3);
        var state = new Dictionary<string, Tensor> { ["big"] = randn(300_001), ["small"] = randn(3, 5), ["scalar"] = tensor(2.5f) };
        var checkpoint = new Checkpoint
        {
            Epoch = 1, GlobalStep = 1, ModelState = state, OptimizerState = new System.Collections.Specialized.OrderedDictionary(),
            ConfigYaml = ConfigText, Seed = 1, History = Records(1),
        };
        string plain = Path.Combine(tmp.Path, "plain.pth"), zip64 = Path.Combine(tmp.Path, "zip64.pth");
        CheckpointStore.Save(plain, checkpoint);
        CheckpointStore.Save(zip64, checkpoint, null, zip64Threshold: 0); // every size and offset through Zip64 fields
        Assert.NotEqual(File.ReadAllBytes(plain).Length, File.ReadAllBytes(zip64).Length);
        using (var back = CheckpointStore.Load(zip64))
            foreach (var (name, t) in state) Assert.True(t.Equals(back.ModelState[name]), name);
        using (var a = ZipFile.OpenRead(plain))
        using (var b = ZipFile.OpenRead(zip64))
        {
            Assert.Equal(a.Entries.Select(e => (e.FullName, e.Length, e.Crc32)), b.Entries.Select(e => (e.FullName, e.Length, e.Crc32)));
        }

        // Storages over the slice size are written in several spans: the bytes must not change.
        var (pickle, storages) = TorchPickle.Write(CheckpointCodec.Encode(checkpoint));
        using var whole = new MemoryStream();
        using var sliced = new MemoryStream();
        new TorchZipArchive(pickle, storages).WriteTo(whole);
        var slicedArchive = new TorchZipArchive(pickle, storages, chunkBytes: 4096 + 4);
        slicedArchive.WriteTo(sliced);
        Assert.Equal(whole.ToArray(), sliced.ToArray());
        Assert.Equal(slicedArchive.Length, sliced.Length);
        Assert.Equal(File.ReadAllBytes(plain), whole.ToArray());
    }

    [SkippableFact]
    public void PyTorchLoadsTheFilesWithTheSameValues()
    {
        using var tmp = new TempDir();
        using var scope = NewDisposeScope();
        manual_seed(9);
        var state = new Dictionary<string, Tensor>
        {
            ["weight"] = randn(4, 3, 3, 3), ["view"] = randn(6, 6)[.., 1..4], ["half"] = randn(5, 7).to_type(ScalarType.BFloat16),
            ["count"] = tensor(123_456_789_012L), ["mask"] = rand(9) > 0.5, ["scalar"] = tensor(-0.0f), ["empty"] = zeros(0, 3),
        };
        using var net = new TinyNet();
        var opt = optim.AdamW(net.parameters(), 1e-3);
        TrainStep(net, opt, 0);
        var checkpoint = new Checkpoint
        {
            Epoch = 2, GlobalStep = 40, ModelState = state, OptimizerState = OptimizerStateCodec.Capture((OptimizerHelper)opt),
            ConfigYaml = ConfigText, Seed = 7, History = Records(2), BestMetric = 0.52, BestEpoch = 2,
        };
        string plain = Path.Combine(tmp.Path, "plain.pth"), zip64 = Path.Combine(tmp.Path, "zip64.pth");
        CheckpointStore.Save(plain, checkpoint);
        CheckpointStore.Save(zip64, checkpoint, null, zip64Threshold: 0);

        string script = Path.Combine(tmp.Path, "load.py");
        File.WriteAllText(script, PythonCheck);
        var results = RunPython(script, plain, zip64);
        RequiredInput.SkipUnless(results is not null, RequiredInput.PyTorch,
            "no python3 with torch was found (set CRACKSEG_PYTHON; CI installs Debian's python3-torch)");
        var expected = state.ToDictionary(kv => kv.Key, kv => Describe(kv.Value));
        Assert.Equal(2, results.Count);
        foreach (var got in results)
        {
            Assert.Equal(state.Keys, got["keys"].EnumerateArray().Select(e => e.GetString()!));
            foreach (var (name, want) in expected)
                Assert.Equal(want, got["tensors"].GetProperty(name).GetString());
            Assert.Equal(40, got["global_step"].GetInt32());
            Assert.Equal(0.52, got["best_metric"].GetDouble());
            Assert.Equal(net.parameters().Count(), got["optimizer_states"].GetInt32());
            Assert.True(got["weights_only_ok"].GetBoolean(), got["weights_only_detail"].GetString());
        }
    }

    /// <summary>dtype, shape and SHA-256 of the bytes, as the Python side prints them.</summary>
    private static string Describe(Tensor t)
    {
        var c = t.contiguous();
        string dtype = t.dtype switch
        {
            ScalarType.Float32 => "float32", ScalarType.BFloat16 => "bfloat16", ScalarType.Int64 => "int64", ScalarType.Bool => "bool",
            _ => t.dtype.ToString(),
        };
        var bytes = c.NumberOfElements == 0 ? [] : c.bytes.ToArray();
        return $"{dtype} [{string.Join(", ", t.shape)}] {Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant()}";
    }

    /// <summary>Prints NO_TORCH without torch, else one JSON line per file argument.</summary>
    private const string PythonCheck = """
        import hashlib, json, pickletools, re, sys, zipfile
        try:
            import torch
        except ImportError:
            print("NO_TORCH")
            sys.exit(0)
        def describe(t):
            raw = t.contiguous().flatten().view(torch.uint8).numpy().tobytes()
            return f"{str(t.dtype).replace('torch.', '')} [{', '.join(str(s) for s in t.shape)}] {hashlib.sha256(raw).hexdigest()}"
        def check(path):
            assert zipfile.ZipFile(path).testzip() is None, "CRC mismatch"
            ckpt = torch.load(path, map_location="cpu")
            sd = ckpt["model_state_dict"]
            # weights_only: PyTorch >= 2.4 loads it so; 1.13 rejects every float (BINFLOAT), so scan what 2.4 allows.
            version = tuple(int(x) for x in re.findall(r"\d+", torch.__version__)[:2])
            if version >= (2, 4):
                torch.load(path, map_location="cpu", weights_only=True)
                ok, detail = True, "weights_only=True"
            else:
                allowed = {"PROTO", "STOP", "GLOBAL", "REDUCE", "BUILD", "APPENDS", "SETITEMS", "MARK", "TUPLE", "TUPLE1", "TUPLE2",
                           "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE", "EMPTY_LIST", "EMPTY_DICT", "BININT", "BININT1",
                           "BININT2", "BINFLOAT", "BINUNICODE", "BINPERSID", "LONG1"}
                pkl = zipfile.ZipFile(path).read(next(n for n in zipfile.ZipFile(path).namelist() if n.endswith("/data.pkl")))
                bad = [(op.name, arg) for op, arg, _ in pickletools.genops(pkl) if op.name not in allowed or
                       (op.name == "GLOBAL" and not re.fullmatch(r"torch\._utils _rebuild_tensor_v2|collections OrderedDict|torch \w+Storage", arg))]
                ok, detail = not bad, f"opcodes/globals outside the weights_only allow-list: {bad[:5]}"
            print(json.dumps({"keys": list(sd), "tensors": {k: describe(v) for k, v in sd.items()},
                              "global_step": ckpt["global_step"], "best_metric": ckpt["best_metric"],
                              "optimizer_states": len(ckpt["optimizer_state_dict"]["state"]),
                              "weights_only_ok": ok, "weights_only_detail": detail}))
        for path in sys.argv[1:]:
            check(path)
        """;

    /// <summary>Runs the check with the first python3 that has torch; null when none has.</summary>
    private static List<Dictionary<string, JsonElement>>? RunPython(string script, params string[] files)
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("CRACKSEG_PYTHON"), "/usr/bin/python3", "python3" }.Where(c => !string.IsNullOrEmpty(c));
        foreach (var candidate in candidates)
        {
            (int Code, string Stdout, string Stderr) result;
            try { result = ExternalProcess.Run(candidate!, [script, .. files]); }
            catch (System.ComponentModel.Win32Exception) { continue; } // not installed
            if (result.Stdout.Trim() == "NO_TORCH") continue;
            Assert.True(result.Code == 0, $"{candidate} failed: {result.Stderr}{result.Stdout}");
            return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(line)!).ToList();
        }
        return null;
    }


    private static string Read(ZipArchive zip, string name)
    {
        using var reader = new StreamReader(zip.GetEntry(name)!.Open(), Encoding.ASCII);
        return reader.ReadToEnd();
    }
}
