"""What the web reader tells its users when something is refused or fails, in Chinese.

The pipeline's errors are written for the operator at a terminal: they name
server paths, store URIs and CLI flags.  None of that reaches a judge or a
lawyer; at the web edge each error becomes a status code and a sentence in
Chinese chosen by its class, and the English line goes to the server log only.
"""

from __future__ import annotations

import http

from edossier.errors import (
    CaseNumberError,
    ClassifiedMaterialError,
    EdossierError,
    EncryptedInputError,
    ImmutableObjectError,
    InputFileError,
    IntegrityError,
    LimitExceededError,
    NotFoundError,
    ServiceUnavailableError,
    StageError,
    UnsupportedInputError,
)
from edossier.web.accounts import AccountError, SignInLockedError

class Refusal(EdossierError):
    """A request the reader refuses by its own rules, with the status and the sentence the user sees."""

    def __init__(self, message: str, chinese: str, status: int) -> None:
        super().__init__(message)
        self.chinese = chinese
        self.status = status


# Most specific first: the first class an error is an instance of decides.
_BY_CLASS: tuple[tuple[type[EdossierError], int, str], ...] = (
    (SignInLockedError, 429, ""),
    (AccountError, 400, ""),
    (CaseNumberError, 400, "案号格式不正确"),
    (NotFoundError, 404, "未找到所请求的案件、卷宗或版本"),
    (ClassifiedMaterialError, 422, "材料带有涉密标识，不能在网上提交；请与法院联系"),
    (EncryptedInputError, 422, "文件已加密（设有密码），无法处理；请提交未加密的文件"),
    (LimitExceededError, 413, "文件超过大小、页数或数量限制"),
    (UnsupportedInputError, 415, "文件类型不受支持（可提交 PDF、OFD、Word/WPS、RTF、ODT、PNG、JPEG、TIFF、HEIC；"
                                 "含宏的文档和程序一律不收）"),
    (InputFileError, 422, "文件无法读取或已损坏"),
    (ServiceUnavailableError, 503, "存储服务暂时不可用，请稍后重试"),
    (IntegrityError, 500, "所存文件未通过完整性核验，已通知法院"),
    (ImmutableObjectError, 409, "该内容已归档，不能更改"),
    (StageError, 500, "处理失败（识别、装订或签名），已通知法院"),
)
_INTERNAL = "服务器内部错误，已通知法院"

_BY_STATUS = {
    400: "请求有误",
    401: "请先登录",
    403: "无权进行此操作",
    404: "未找到所请求的内容",
    405: "不支持此操作",
    413: "上传内容过大",
    415: "不支持的文件类型",
    422: "请求内容不完整或格式不正确",
    429: "请求过于频繁，请稍后再试",
}


def error_message(exc: EdossierError) -> tuple[int, str]:
    """The HTTP status and the Chinese sentence for one of the pipeline's errors."""
    if isinstance(exc, Refusal):
        return exc.status, exc.chinese
    for kind, status, text in _BY_CLASS:
        if isinstance(exc, kind):
            if isinstance(exc, AccountError):
                return status, exc.chinese
            if isinstance(exc, InputFileError) and text:
                return status, _with_upload_name(exc, text)
            return status, text
    return 500, _INTERNAL


def status_message(status: int, detail: object) -> object:
    """DETAIL when the route wrote it for the user, else a Chinese sentence for STATUS (framework defaults)."""
    if isinstance(detail, str) and detail != _phrase(status):
        return detail
    return _BY_STATUS.get(status, _INTERNAL if status >= 500 else "请求未能完成")


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _with_upload_name(exc: InputFileError, text: str) -> str:
    """Name the file as the user sent it (a bare name); a server path is left out."""
    name = exc.path.name
    return f"{name}：{text}" if str(exc.path) == name else text
