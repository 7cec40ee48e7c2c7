"""Login, password change, and the account administration forms.

The role rules (towns only and always for town officers, a firm only and always for firm
users, admins never locked out) live in ``auth.services``; these forms check shapes and
lengths and show the services' messages beside the field they name.
"""
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, Form, PasswordField, SelectField, SelectMultipleField, StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from registry.vocab import ROLES

ROLE_CHOICES = [SelectChoice(code, label) for code, label in ROLES.items()]


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    remember = BooleanField("记住我")


class ActivateForm(FlaskForm):
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请输入统一社会信用代码"), Length(max=40)])
    code = StringField("激活码", validators=[DataRequired("请输入激活码"), Length(max=40)])
    password = PasswordField("设置密码", validators=[DataRequired("请设置密码"), Length(max=128)])
    confirm = PasswordField("确认密码", validators=[DataRequired("请再次输入密码")])

    def validate_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError("两次输入的密码不一致")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"),
                                               Length(min=8, max=128, message="新密码长度应为8–128个字符")])
    confirm = PasswordField("确认新密码", validators=[DataRequired("请再次输入新密码")])

    def validate_confirm(self, field):
        if field.data != self.new.data:
            raise ValidationError("两次输入的新密码不一致")


class TownsField(SelectMultipleField):
    """Town checkboxes whose errors are in Chinese."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = []
            raise ValueError("所选镇（街道）无效")

    def pre_validate(self, form):
        known = {value for value, _ in self.choices or ()}
        if any(value not in known for value in self.data or ()):
            raise ValidationError("所选镇（街道）无效")


class _AccountFields(FlaskForm):
    display_name = StringField("姓名", validators=[Optional(), Length(max=64, message="姓名不能超过64个字符")])
    # An unknown role is refused by the service, in Chinese.
    role = SelectField("角色", choices=ROLE_CHOICES, validate_choice=False,
                       validators=[DataRequired("请选择角色")])
    towns = TownsField("负责镇（街道）", coerce=int)
    firm_uscc = StringField("所属企业统一社会信用代码",
                            validators=[Optional(), Length(max=40, message="统一社会信用代码过长")])
    phone = StringField("联系电话", validators=[Optional(), Length(max=40, message="联系电话不能超过40个字符")])

    def fill_towns(self, towns) -> None:
        self.towns.choices = [(t.id, t.name) for t in towns]


class UserCreateForm(_AccountFields):
    username = StringField("用户名", validators=[
        Optional(), Length(max=64, message="用户名不能超过64个字符"),
        Regexp(r"^[A-Za-z0-9_.@-]+$", message="用户名只能包含字母、数字和 _ . @ -")])
    password = PasswordField("初始密码", validators=[
        Optional(), Length(min=8, max=128, message="密码长度应为8–128个字符")])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # Firm users default to their USCC; everyone else needs a name (Optional() above
        # stops the chain on an empty value, so this is checked here).
        if not (self.username.data or "").strip() and self.role.data != "firm":
            self.username.errors = list(self.username.errors) + ["请输入用户名"]
            ok = False
        return ok


class UserEditForm(_AccountFields):
    display_name = StringField("姓名", validators=[DataRequired("请输入姓名"),
                                                 Length(max=64, message="姓名不能超过64个字符")])
    is_active = BooleanField("账号启用")


class UserFilterForm(Form):
    """The account list's filters (GET, no CSRF: it changes nothing)."""
    q = StringField("用户名 / 姓名 / 企业", validators=[Optional()])
    role = SelectField("角色", choices=[SelectChoice("", "全部角色")] + ROLE_CHOICES,
                       validators=[Optional()], validate_choice=False)
    town = SelectField("镇（街道）", validators=[Optional()], validate_choice=False,
                       coerce=lambda v: int(v) if str(v or "").isdigit() else None)
    active = SelectField("状态", validators=[Optional()], validate_choice=False, choices=[
        SelectChoice("", "全部"), SelectChoice("1", "启用"), SelectChoice("0", "已停用")])

    def fill_towns(self, towns) -> None:
        self.town.choices = [SelectChoice("", "全部镇街")] + [SelectChoice(t.id, t.name) for t in towns]


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with its CSRF token (deactivate, reset password)."""
