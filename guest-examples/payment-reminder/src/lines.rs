//! Everything the bot says, in one place, so that the wording can be reviewed (and the
//! scenarios' `bot_says` patterns checked) without reading the dialogue logic.

use huashu_sdk::date::Date;

pub fn ask_identity(name: Option<&str>) -> String {
    let who = name.map_or("机主".to_owned(), str::to_owned);
    format!("您好，这里是安心金融贷后服务中心。请问是{who}本人吗？")
}

pub fn ask_identity_again(name: Option<&str>) -> String {
    let who = name.map_or("机主".to_owned(), str::to_owned);
    format!("不好意思，请问您是{who}本人吗？请回答“是”或者“不是”。")
}

pub const WRONG_PERSON: &str = "不好意思，打扰您了，再见。";
pub const IDENTITY_UNCONFIRMED: &str = "不好意思，无法确认您的身份，我们稍后再联系您，再见。";
pub const IDENTITY_NO_RESPONSE: &str = "您好，可能信号不好，我们稍后再联系您，再见。";

/// The bill, then the question. `due` is the `due_date` variable, spoken as `11月25日` when
/// it is an ISO date.
pub fn statement(amount: &str, due: Option<Date>, due_raw: &str, today: Date) -> String {
    let bill = match due {
        Some(due) if due < today => format!(
            "您本期应还的{amount}元已于{}到期，目前已逾期{}天。",
            due.chinese(),
            due.days_until(today)
        ),
        Some(due) => format!("您本期应还{amount}元，还款日是{}。", due.chinese()),
        None if due_raw.is_empty() => format!("您本期应还{amount}元。"),
        None => format!("您本期应还{amount}元，还款日是{due_raw}。"),
    };
    format!("{bill}{}", ASK_DATE)
}

const ASK_DATE: &str =
    "请问您打算哪天还款？您可以直接告诉我日期，也可以按1今天还款，按2三天内还款，按3输入具体日期。";

/// Why the date question is asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reask {
    NotUnderstood,
    /// Will pay, but named no day.
    NoDay,
    /// Cannot pay yet.
    Hardship,
    Passed,
    TooFar,
    InvalidKey,
    InvalidEntry,
}

/// The date question again, by voice or the 1/2/3 keys.
pub fn ask_again(why: Reask, max_days: i64) -> String {
    match why {
        Reask::NotUnderstood => "不好意思，我没听清楚。请问您哪天可以还款？比如“明天”或者“12月5号”，也可以按1今天还款，按2三天内还款。".to_owned(),
        Reask::NoDay => "好的，请问具体哪一天可以还款呢？".to_owned(),
        Reask::Hardship => "理解您的难处。您看最晚哪一天可以还上呢？".to_owned(),
        Reask::Passed => "这个日期已经过了哦。请问您哪天可以还款？".to_owned(),
        Reask::TooFar => format!("我们最多只能为您登记{max_days}天以内的还款日期。请问{max_days}天内哪天可以还款？"),
        Reask::InvalidKey | Reask::InvalidEntry => "无效按键。按1今天还款，按2三天内还款，按3输入具体日期。".to_owned(),
    }
}

/// The keyed-date prompt again.
pub fn reenter(why: Reask, max_days: i64) -> String {
    let problem = match why {
        Reask::Passed => "这个日期已经过了。".to_owned(),
        Reask::TooFar => format!("只能登记{max_days}天以内的日期。"),
        _ => "您输入的日期无效。".to_owned(),
    };
    format!("{problem}请重新输入8位还款日期，例如20261205，输入完毕请按井号键。")
}

pub const ENTER_DATE: &str =
    "请输入8位还款日期，例如2026年12月5日请输入20261205，输入完毕请按井号键。";
pub const STILL_THERE: &str = "您好，请问您还在听吗？请问您哪天可以还款？";

pub fn promise_registered(date: Date, amount: &str) -> String {
    format!(
        "好的，已为您登记：{}前还款{amount}元。请按时还款，以免影响您的信用记录。感谢您的接听，再见！",
        date.chinese()
    )
}

pub const REFUSED: &str =
    "我们理解。但逾期会影响您的信用记录并产生罚息，请您尽快安排还款。感谢接听，再见。";
pub const ALREADY_PAID: &str =
    "好的，如果您已经还款，系统会在一个工作日内更新，请忽略本次提醒。感谢您的接听，再见！";
pub const NO_COMMITMENT: &str = "好的，请您尽快安排还款，有疑问可以拨打我们的客服热线。再见！";
pub const TRANSFERRING: &str = "好的，马上为您转接人工客服，请稍候。";
pub const TRANSFER_FAILED: &str =
    "非常抱歉，人工客服暂时无法接通。我们已经记录了您的问题，会在24小时内回电给您。再见！";
