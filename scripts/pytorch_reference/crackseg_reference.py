"""Plain-PyTorch re-implementation of CrackSeg.NET's SwinV2-CNN-ASPP U-Net (no stem).

The speed anchor of scripts/bench-vs-pytorch.sh. It is written the way the Python project runs the
model (timm's SwinV2 features model + crackseg's ASPP and CBAM decoder, PyTorch eager), so that
it measures what a PyTorch user gets, not our own kernel tricks:
  * timm's WindowAttention: explicit normalize(q)·normalize(k)^T, bias gathered then sigmoid,
    softmax, @ v (PyTorch 1.13 has no scaled_dot_product_attention);
  * plain dilated 3x3 convs in ASPP (CrackSeg.NET skips taps that only read padding);
  * CBAM's 2->1 7x7 conv as nn.Conv2d (CrackSeg.NET runs it as two depthwise convs).
All of these compute the same sums. State-dict keys equal the C# model's (and crackseg's), so
golden weights load with strict=True; check_parity.py proves the outputs agree.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_VALUE = -100.0


def preset(name, image_size=256):
    """The two configurations of `crackseg bench model` (ModelSpeedBenchmark.Configurations)."""
    seed = dict(image_size=image_size, embed_dim=96, depths=(2, 2, 6, 2), num_heads=(3, 6, 12, 24), window=8,
                drop_path=0.1, aspp_channels=256, aspp_dilations=(1, 6, 12, 18), aspp_dropout=0.1,
                decoder_channels=(128, 64, 32), cbam_reduction=16, patch_size=4)
    if name == "seed":
        return seed
    if name == "small":
        return dict(seed, embed_dim=24, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8), aspp_channels=64,
                    decoder_channels=(32, 16, 8))
    raise ValueError(f"unknown configuration '{name}' (expected seed or small)")


def drop_path(x, rate, training):
    """timm drop_path with scale_by_keep: whole samples dropped, the rest scaled by 1/keep."""
    if not training or rate <= 0:
        return x
    keep = 1.0 - rate
    mask = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep).div_(keep)
    return x * mask


def window_partition(x, w):
    b, h, wd, c = x.shape
    x = x.view(b, h // w, w, wd // w, w, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, c)


def window_reverse(windows, w, h, wd):
    c = windows.shape[-1]
    x = windows.view(-1, h // w, wd // w, w, w, c)
    return x.permute(0, 1, 3, 2, 4, 5).reshape(-1, h, wd, c)


class WindowAttention(nn.Module):
    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads = heads
        self.window = window
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones((heads, 1, 1))))
        self.q_bias = nn.Parameter(torch.zeros(dim))
        self.v_bias = nn.Parameter(torch.zeros(dim))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512, bias=True), nn.ReLU(inplace=True), nn.Linear(512, heads, bias=False))
        self.qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.register_buffer("k_bias", torch.zeros(dim), persistent=False)
        self.register_buffer("relative_coords_table", self._coords_table(window), persistent=False)
        self.register_buffer("relative_position_index", self._relative_index(window), persistent=False)

    @staticmethod
    def _coords_table(w):
        coords = torch.arange(-(w - 1), w, dtype=torch.float32)
        table = torch.stack(torch.meshgrid(coords, coords, indexing="ij"), dim=-1)
        table = table / max(w - 1, 1) * 8
        table = torch.sign(table) * torch.log2(table.abs() + 1.0) / math.log2(8)
        return table.reshape(-1, 2)

    @staticmethod
    def _relative_index(w):
        coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0).contiguous()
        rel[:, :, 0] += w - 1
        rel[:, :, 1] += w - 1
        rel[:, :, 0] *= 2 * w - 1
        return rel.sum(-1)

    def forward(self, x, mask=None):
        bw, n, c = x.shape
        bias = torch.cat((self.q_bias, self.k_bias, self.v_bias))
        qkv = F.linear(x, self.qkv.weight, bias).reshape(bw, n, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1)
        attn = attn * torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
        table = self.cpb_mlp(self.relative_coords_table).view(-1, self.heads)
        position = table[self.relative_position_index.view(-1)].view(n, n, -1).permute(2, 0, 1).contiguous()
        attn = attn + 16 * torch.sigmoid(position).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = (attn.view(-1, nw, self.heads, n, n) + mask.unsqueeze(1).unsqueeze(0)).view(-1, self.heads, n, n)
        x = attn.softmax(-1) @ v
        return self.proj(x.transpose(1, 2).reshape(bw, n, -1))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class SwinV2Block(nn.Module):
    """Res-post-norm block; window/shift fixed at construction, mask built on the padded grid (timm dynamic mask)."""

    def __init__(self, dim, heads, window, shift, drop_path_rate):
        super().__init__()
        self.window, self.shift, self.drop_path = window, shift, drop_path_rate
        self.attn = WindowAttention(dim, heads, window)
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = Mlp(dim, dim * 4)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self._masks = {}

    def _mask(self, hp, wp, device, dtype):
        key = (hp, wp, device, dtype)
        if key not in self._masks:
            w, s = self.window, self.shift
            img = torch.zeros((1, hp, wp, 1))
            count = 0
            for h in ((0, -w), (-w, -s), (-s, None)):
                for v in ((0, -w), (-w, -s), (-s, None)):
                    img[:, h[0]:h[1], v[0]:v[1], :] = count
                    count += 1
            windows = window_partition(img, w).squeeze(-1)
            diff = windows.unsqueeze(1) - windows.unsqueeze(2)
            self._masks[key] = diff.masked_fill(diff != 0, MASK_VALUE).masked_fill(diff == 0, 0.0).to(device, dtype)
        return self._masks[key]

    def _attn(self, x):
        b, h, wd, c = x.shape
        w = self.window
        shifted = torch.roll(x, shifts=(-self.shift, -self.shift), dims=(1, 2)) if self.shift else x
        pad_h, pad_w = (w - h % w) % w, (w - wd % w) % w
        shifted = F.pad(shifted, (0, 0, 0, pad_w, 0, pad_h))
        hp, wp = h + pad_h, wd + pad_w
        mask = self._mask(hp, wp, x.device, x.dtype) if self.shift else None
        attended = self.attn(window_partition(shifted, w), mask)
        merged = window_reverse(attended, w, hp, wp)[:, :h, :wd, :].contiguous()
        return torch.roll(merged, shifts=(self.shift, self.shift), dims=(1, 2)) if self.shift else merged

    def forward(self, x):
        b, h, w, c = x.shape
        x = x + drop_path(self.norm1(self._attn(x)), self.drop_path, self.training)
        x = x.reshape(b, -1, c)
        x = x + drop_path(self.norm2(self.mlp(x)), self.drop_path, self.training)
        return x.reshape(b, h, w, c)


class PatchMerging(nn.Module):
    def __init__(self, dim, out_dim):
        super().__init__()
        self.reduction = nn.Linear(4 * dim, out_dim, bias=False)
        self.norm = nn.LayerNorm(out_dim, eps=1e-5)

    def forward(self, x):
        b, h, w, c = x.shape
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        _, h, w, _ = x.shape
        x = x.reshape(b, h // 2, 2, w // 2, 2, c).permute(0, 1, 3, 4, 2, 5).flatten(3)
        return self.norm(self.reduction(x))


class PatchEmbed(nn.Module):
    def __init__(self, in_channels, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim, eps=1e-5)

    def forward(self, x):
        return self.norm(self.proj(x).permute(0, 2, 3, 1))


class SwinV2Stage(nn.Module):
    def __init__(self, in_dim, dim, downsample, depth, heads, window, shift, rates):
        super().__init__()
        self.downsample = PatchMerging(in_dim, dim) if downsample else None
        self.blocks = nn.ModuleList(SwinV2Block(dim, heads, window, 0 if i % 2 == 0 else shift, rates[i]) for i in range(depth))

    def forward(self, x):
        if self.downsample is not None:
            x = self.downsample(x)
        for block in self.blocks:
            x = block(x)
        return x


class SwinV2Features(nn.Module):
    """timm features-model names: patch_embed.*, layers_N.*; NCHW stage outputs (crackseg's adapter permutes)."""

    def __init__(self, cfg):
        super().__init__()
        c, p, size = cfg["embed_dim"], cfg["patch_size"], cfg["image_size"]
        self.patch_embed = PatchEmbed(3, c, p)
        depths = cfg["depths"]
        rates = torch.linspace(0, cfg["drop_path"], sum(depths)).tolist()
        start = 0
        for s, depth in enumerate(depths):
            resolution = (size // p) >> s
            window, shift = (resolution, 0) if resolution <= cfg["window"] else (cfg["window"], cfg["window"] // 2)
            stage = SwinV2Stage(c << max(s - 1, 0), c << s, s > 0, depth, cfg["num_heads"][s], window, shift,
                                rates[start:start + depth])
            self.add_module(f"layers_{s}", stage)
            start += depth
        self.stage_count = len(depths)
        self.channels = [c << s for s in range(len(depths))]

    def forward(self, x):
        x = self.patch_embed(x)
        outputs = []
        for s in range(self.stage_count):
            x = getattr(self, f"layers_{s}")(x)
            outputs.append(x.permute(0, 3, 1, 2))
        return outputs


class ConvBnRelu(nn.Sequential):
    def __init__(self, in_channels, out_channels, kernel, dilation=1):
        super().__init__(nn.Conv2d(in_channels, out_channels, kernel, padding=dilation * (kernel - 1) // 2,
                                   dilation=dilation, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class Aspp(nn.Module):
    def __init__(self, in_channels, out_channels, dilations, dropout):
        super().__init__()
        self.conv_1x1 = ConvBnRelu(in_channels, out_channels, 1)
        self.branches = nn.ModuleList(ConvBnRelu(in_channels, out_channels, 3, d) for d in dilations)
        self.global_pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(in_channels, out_channels, 1, bias=False),
                                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))
        self.project = ConvBnRelu((len(dilations) + 2) * out_channels, out_channels, 1)
        self.dropout = nn.Dropout2d(dropout)

    def forward(self, x):
        parts = [branch(x) for branch in self.branches]
        parts.append(self.conv_1x1(x))
        pooled = self.global_pool(x)
        parts.append(F.interpolate(pooled, size=x.shape[2:], mode="bilinear", align_corners=False))
        return self.dropout(self.project(torch.cat(parts, dim=1)))


class ChannelAttention(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(channels, hidden, bias=False), nn.ReLU(inplace=True), nn.Linear(hidden, channels, bias=False))

    def forward(self, x):
        weights = torch.sigmoid(self.mlp(x.mean((2, 3))) + self.mlp(x.amax((2, 3))))
        return x * weights[:, :, None, None]


class SpatialAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size=7, padding=3, bias=False)

    def forward(self, x):
        pooled = torch.cat([x.mean(1, keepdim=True), x.amax(1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(pooled))


class Cbam(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.channel_attn = ChannelAttention(channels, max(1, channels // reduction))
        self.spatial_attn = SpatialAttention()

    def forward(self, x):
        return self.spatial_attn(self.channel_attn(x))


class DecoderBlock(nn.Module):
    def __init__(self, in_channels, skip_channels, out_channels, reduction):
        super().__init__()
        self.up_conv = nn.Conv2d(in_channels, out_channels, 1)
        self.cbam = Cbam(out_channels + skip_channels, reduction)
        self.conv1 = nn.Conv2d(out_channels + skip_channels, 2 * out_channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(2 * out_channels)
        self.conv2 = nn.Conv2d(2 * out_channels, out_channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x, skip):
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
        x = self.cbam(torch.cat([self.up_conv(x), skip], dim=1))
        x = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(x)))


class Decoder(nn.Module):
    def __init__(self, in_channels, skip_channels, out_channels, reduction):
        super().__init__()
        blocks, channels = [], in_channels
        for skip, out in zip(skip_channels, out_channels):
            blocks.append(DecoderBlock(channels, skip, out, reduction))
            channels = out
        self.decoder_blocks = nn.ModuleList(blocks)
        self.final_conv = nn.Conv2d(channels, 1, 1)


class Scope(nn.Module):
    """A parameter-free level that only adds a name (crackseg's encoder.encoder.swin. wrapper chain)."""

    def __init__(self, name, child):
        super().__init__()
        self.add_module(name, child)


class SwinV2CnnAsppUNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = Scope("encoder", Scope("swin", SwinV2Features(cfg)))
        ch = self.swin.channels
        self.bottleneck = Aspp(ch[-1], cfg["aspp_channels"], cfg["aspp_dilations"], cfg["aspp_dropout"])
        self.decoder = Decoder(cfg["aspp_channels"], [ch[2], ch[1], ch[0]], cfg["decoder_channels"], cfg["cbam_reduction"])
        init_encoder(self.swin)

    @property
    def swin(self):
        return self.encoder.encoder.swin

    def intermediates(self, x):
        stages = self.swin(x)
        aspp = self.bottleneck(stages[-1])
        y, blocks = aspp, []
        for block, skip in zip(self.decoder.decoder_blocks, [stages[2], stages[1], stages[0]]):
            y = block(y, skip)
            blocks.append(y)
        logits = F.interpolate(self.decoder.final_conv(y), size=x.shape[2:], mode="bilinear", align_corners=False)
        return dict(stages=stages, aspp=aspp, blocks=blocks, logits=logits)

    def forward(self, x):
        """Logits N x 1 x H x W (no sigmoid)."""
        return self.intermediates(x)["logits"]


def init_encoder(encoder):
    """timm SwinV2 init: Linear trunc-normal(0.02) with zero bias; block norm1/norm2 zero (res-post-norm)."""
    with torch.no_grad():
        for m in encoder.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            if isinstance(m, SwinV2Block):
                for norm in (m.norm1, m.norm2):
                    nn.init.zeros_(norm.weight)
                    nn.init.zeros_(norm.bias)


def parameter_groups(model):
    """CrackSeg.NET's ParameterGroups.Split: no decay on norms, biases, q/v bias, logit_scale, cpb_mlp."""
    norms = set()
    for module_name, module in model.named_modules():
        if isinstance(module, (nn.LayerNorm, nn.BatchNorm2d, nn.GroupNorm)):
            norms.update(f"{module_name}.{n}" for n, _ in module.named_parameters(recurse=False))
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        exempt = name in norms or leaf in ("bias", "q_bias", "v_bias", "logit_scale") or "cpb_mlp." in name
        (no_decay if exempt else decay).append(p)
    return decay, no_decay
