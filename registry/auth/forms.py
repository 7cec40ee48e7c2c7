"""Login form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    remember = BooleanField("记住我")


class ChangePasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"),
                                               Length(min=8, max=128, message="新密码长度应为8–128个字符")])
    confirm = PasswordField("确认新密码", validators=[DataRequired("请再次输入新密码")])

    def validate_confirm(self, field):
        from wtforms.validators import ValidationError

        if field.data != self.new.data:
            raise ValidationError("两次输入的新密码不一致")
