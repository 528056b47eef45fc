"""N4: a customer's SMS reply that opts out (退订 / TD), however it is typed."""
import pytest

from services.notify.handlers.callbacks import is_stop


@pytest.mark.parametrize("text", ["退订", "TD", "td", " T ", "退订。", "【退订】", "取消", "Td!"])
def test_n4_stop_words_opt_out(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["好的", "谢谢", "", "TD 明天再说", "请不要退订", "T" * 1000])
def test_n4_other_replies_do_not(text):
    assert not is_stop(text)
