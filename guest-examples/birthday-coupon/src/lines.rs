//! Everything the bot says, in one place, so that the wording can be reviewed (and the
//! scenarios' `bot_says` patterns checked) without reading the dialogue logic.

/// `王芳您好！` or, without a name, `您好！`.
pub fn greeting(name: Option<&str>) -> String {
    let hello = match name {
        Some(name) => format!("{name}您好！"),
        None => "您好！".to_owned(),
    };
    format!("{hello}我是优选会员中心的小优。今天是您的生日，祝您生日快乐！")
}

pub fn offer(amount: &str) -> String {
    format!(
        "为了给您庆生，我们准备了一张{amount}元的生日优惠券，30天内有效。需要我现在发到您的会员账户吗？"
    )
}

pub fn who_we_are(amount: &str) -> String {
    format!(
        "我是优选会员中心的客服小优，这是会员生日关怀电话，不是推销。我们为您准备了一张{amount}元的生日优惠券，需要帮您发到会员账户吗？"
    )
}

pub fn not_understood(amount: &str) -> String {
    format!(
        "不好意思，我没听清楚。请问这张{amount}元的生日优惠券需要发给您吗？您可以说“需要”或者“不需要”。"
    )
}

pub fn still_there(amount: &str) -> String {
    format!("您好，请问您还在听吗？这张{amount}元的生日优惠券需要发给您吗？")
}

/// While the coupon service issues the coupon (about as long as the service may take).
pub const ONE_MOMENT: &str = "好的，我这就为您发放，请稍等。";

/// The coupon is in the account: the amount the service confirmed, and the code, for a
/// member who wants to check.
pub fn issued(amount: &str, code: &str) -> String {
    format!(
        "{amount}元生日优惠券已经发到您的会员账户了，券码是{code}，下单时自动抵扣。再次祝您生日快乐，再见！"
    )
}

/// The coupon service failed: the tenant's SMS job sends the coupon later, so promise that
/// and nothing more.
pub fn by_sms(amount: &str) -> String {
    format!(
        "抱歉，系统有点繁忙，这张{amount}元生日优惠券稍后会通过短信发给您。再次祝您生日快乐，再见！"
    )
}

pub const DECLINED: &str = "好的，不打扰您了。祝您生日快乐，再见！";
pub const CALLBACK: &str = "好的，那我们改天再联系您。祝您生日快乐，再见！";
pub const NO_RESPONSE: &str = "可能您现在不方便接听，我们改天再联系您。祝您生日快乐，再见！";
pub const NO_CLEAR_ANSWER: &str =
    "不好意思打扰了，优惠券您也可以在会员中心随时领取。祝您生日快乐，再见！";
/// To a member who asked not to be called again: short, no offer, no birthday wishes
/// beyond a word, and a promise the platform keeps (the number goes on the do-not-call
/// list).
pub const OPTED_OUT: &str = "好的，以后不会再给您打电话了。打扰了，再见！";
